-- The emulator's in-memory CloudWorks 2.0: its state and every route.
--
--   local state = require("anaplan.emulator.cloudworks").new{ clock = ..., page_cap = 1000,
--     run_duration = 1.0, random_hex = ..., tenant_max_allowed = 1000 }
--   local status, body, headers = state:handle(req)
--
-- `req.path` is relative to /2/0. handle() returns nil when no live route
-- matches, and the server then sends the live web server's HTML 404. Each
-- route is one row of ROUTES; the handlers live in the cw_*.lua modules.
local common = require("anaplan.emulator.cw_common")
local connections = require("anaplan.emulator.cw_connections")
local integrations = require("anaplan.emulator.cw_integrations")
local runs = require("anaplan.emulator.cw_runs")
local model = require("anaplan.emulator.cw_run_model")
local schedules = require("anaplan.emulator.cw_schedules")
local notifications = require("anaplan.emulator.cw_notifications")
local flows = require("anaplan.emulator.cw_flows")

local cloudworks = {}

-- Rows are tried in order, so a literal segment ("connections") must come
-- before a parameter ("{integrationId}") in the same place. A row whose
-- handler is false is a route the live gateway no longer serves.
local ROUTES = {
  { "GET", "/integrations/connections", connections.list },
  { "POST", "/integrations/connections", connections.create },
  { "PUT", "/integrations/connections/{connectionId}", connections.update },
  { "PATCH", "/integrations/connections/{connectionId}", connections.patch },
  { "DELETE", "/integrations/connections/{connectionId}", connections.delete },

  { "POST", "/integrations/notification", notifications.create },
  { "GET", "/integrations/notification/{notificationId}", notifications.get },
  { "PUT", "/integrations/notification/{notificationId}", notifications.update },
  { "DELETE", "/integrations/notification/{notificationId}", notifications.delete },

  { "GET", "/integrations/anaplanModels/{modelId}", false },

  { "GET", "/integrations/runs/{integrationId}", runs.history },
  { "GET", "/integrations/runerror/{runId}", runs.errors },
  { "GET", "/integrations/run/{runId}", runs.status },
  { "GET", "/integrations/run/{runId}/dumps", runs.import_dump },
  { "GET", "/integrations/run/{runId}/process/import/{actionId}/dumps", runs.process_dump },

  { "GET", "/integrations", integrations.list },
  { "POST", "/integrations", integrations.create },
  { "GET", "/integrations/{integrationId}", integrations.get },
  { "PUT", "/integrations/{integrationId}", integrations.update },
  { "DELETE", "/integrations/{integrationId}", integrations.delete },
  { "POST", "/integrations/{integrationId}/run", runs.run },
  { "POST", "/integrations/{integrationId}/cancel", runs.cancel },

  { "POST", "/integrations/{integrationId}/schedule", schedules.create },
  { "PUT", "/integrations/{integrationId}/schedule", schedules.update },
  { "DELETE", "/integrations/{integrationId}/schedule", schedules.delete },
  { "POST", "/integrations/{integrationId}/schedule/status/{status}", schedules.set_status },

  { "GET", "/integrationflows", flows.list },
  { "POST", "/integrationflows", flows.create },
  { "GET", "/integrationflows/{integrationFlowId}", flows.get },
  { "PUT", "/integrationflows/{integrationFlowId}", flows.update },
  { "DELETE", "/integrationflows/{integrationFlowId}", flows.delete },
  { "POST", "/integrationflows/{integrationFlowId}/run", flows.run },
}

local function split_path(path)
  local segments = {}
  for segment in path:gmatch("[^/]*") do
    segments[#segments + 1] = segment
  end
  return segments
end

-- Each route's pattern as segments: a string is literal, a table
-- { param = name } captures that segment.
local COMPILED = {}
for index, row in ipairs(ROUTES) do
  local segments = {}
  for position, segment in ipairs(split_path(row[2]:sub(2))) do
    local param = segment:match("^{(%w+)}$")
    segments[position] = param and { param = param } or segment
  end
  COMPILED[index] = { method = row[1], segments = segments, handler = row[3] }
end

-- Returns the route and path parameters for method and path, or nil. One
-- trailing slash is ignored; an empty segment matches nothing.
local function match_route(method, path)
  if type(path) ~= "string" or path:sub(1, 1) ~= "/" then
    return nil
  end
  if #path > 1 and path:sub(-1) == "/" then
    path = path:sub(1, -2)
  end
  local segments = split_path(path:sub(2))
  for _, route in ipairs(COMPILED) do
    if route.method == method and #route.segments == #segments then
      local params = {}
      local matched = true
      for position, pattern in ipairs(route.segments) do
        local segment = segments[position]
        if type(pattern) == "table" and segment ~= "" then
          params[pattern.param] = segment
        elseif pattern ~= segment then
          matched = false
          break
        end
      end
      if matched then
        return route, params
      end
    end
  end
  return nil
end

------------------------------------------------------------------------------
-- State

local State = {}
State.__index = State

local random_seeded = false

local function default_random_hex(count)
  if not random_seeded then
    math.randomseed()
    random_seeded = true
  end
  local digits = {}
  for index = 1, count do
    digits[index] = string.format("%x", math.random(0, 15))
  end
  return table.concat(digits)
end

-- The server passes the signed-in user with every request. A direct caller
-- that leaves it out acts as this user.
local ANONYMOUS = { id = string.rep("0", 32), email = "", name = "Unknown User" }

local function check_page_cap(value)
  if math.type(value) ~= "integer" or value < 1 then
    return "page_cap must be an integer of at least 1"
  end
end

local function check_run_duration(value)
  if type(value) ~= "number" or value < 0 or value ~= value or value == math.huge then
    return "run_duration must be a finite number of seconds, at least 0"
  end
end

local function clear(state)
  state.connections = {}
  state.integrations = {}
  state.notifications = {}
  state.flows = {}
  state.runs = {}
  state.flow_runs = {}
  state.outcomes = {}
  state.users = {}
  state.issued_ids = {}
  state.seq = 0
end

-- Creates an empty CloudWorks. Raises on an invalid option, since options
-- come from the program that embeds the emulator, not from a request.
function cloudworks.new(options)
  options = options or {}
  local state = setmetatable({
    clock = options.clock or os.time,
    page_cap = options.page_cap or 1000,
    run_duration = options.run_duration or 1.0,
    random_hex = options.random_hex or default_random_hex,
    tenant_max_allowed = options.tenant_max_allowed or integrations.DEFAULT_TENANT_MAX,
  }, State)
  local problem = check_page_cap(state.page_cap) or check_run_duration(state.run_duration)
  if type(state.clock) ~= "function" then
    problem = "clock must be a function that returns epoch seconds"
  elseif type(state.random_hex) ~= "function" then
    problem = "random_hex must be a function"
  elseif math.type(state.tenant_max_allowed) ~= "integer" or state.tenant_max_allowed < 0 then
    problem = "tenant_max_allowed must be a non-negative integer"
  end
  if problem then
    error("cloudworks.new: " .. problem, 2)
  end
  clear(state)
  return state
end

-- Changes page_cap and run_duration (either may be nil). Returns true, or
-- nil and a message when a value is invalid; then nothing changes.
function State:configure(options)
  options = options or {}
  local problem = (options.page_cap ~= nil and check_page_cap(options.page_cap))
    or (options.run_duration ~= nil and check_run_duration(options.run_duration))
  if problem then
    return nil, problem
  end
  self.page_cap = options.page_cap or self.page_cap
  self.run_duration = options.run_duration or self.run_duration
  return true
end

-- Queues an outcome ("success", "partial_failure" or "failure") for a coming
-- run of the integration. Each run takes the oldest queued outcome, and a
-- run with none queued succeeds. Returns true, or nil and a message for an
-- invalid id or outcome.
function State:set_next_outcome(integration_id, outcome)
  if type(integration_id) ~= "string" or not integration_id:match(common.LOWER_HEX_ID) then
    return nil, "integration id must be " .. common.ID_DESCRIPTION
  end
  if not common.contains(model.OUTCOMES, outcome) then
    return nil, "outcome must be one of " .. table.concat(model.OUTCOMES, ", ")
  end
  local queue = self.outcomes[integration_id] or {}
  queue[#queue + 1] = outcome
  self.outcomes[integration_id] = queue
  return true
end

-- Forgets every connection, integration, run, notification configuration,
-- flow and queued outcome. page_cap and run_duration stay.
function State:reset()
  clear(self)
end

local function remember_user(state, user)
  if type(user) ~= "table" or type(user.id) ~= "string" then
    return ANONYMOUS
  end
  state.users[user.id] = { name = user.name, email = user.email }
  return {
    id = user.id,
    email = user.email or "",
    name = user.name or user.email or "",
  }
end

-- Handles one CloudWorks request and returns status, body (a table to
-- encode as JSON, or a string) and headers. Returns nil when no live route
-- matches.
function State:handle(req)
  local route, params = match_route(req.method, req.path)
  if not route or not route.handler then
    return nil
  end

  local now = self.clock()
  flows.advance(self, now)
  local ctx = {
    req = {
      method = req.method,
      path = req.path,
      query = req.query or {},
      body = req.body,
      raw_body = req.raw_body or "",
      json_error = req.json_error,
    },
    params = params,
    now = now,
    user = remember_user(self, req.user),
  }
  return route.handler(self, ctx)
end

return cloudworks
