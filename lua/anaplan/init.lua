-- require("anaplan"): the client object over the C core.
--
-- The C core (anaplan.core) validates every payload and makes every HTTP
-- call; this file only gives the operations their Lua shape. The CloudWorks
-- methods are generated from the core's operation rows, so a new operation
-- needs no code here unless its arguments are not (ids..., body).
local core = require("anaplan.core")

local anaplan = {
  version = core.version,
}

-- Errors ------------------------------------------------------------------

anaplan.errors = {}

-- Returns true when e is an error object of this SDK, and of that kind when
-- kind is given ("validation", "auth", "http", "timeout", "network", "usage").
function anaplan.errors.is(e, kind)
  if not core.is_error(e) then
    return false
  end
  return kind == nil or e.kind == kind
end

local function raise(kind, message, fields)
  error(core.error(kind, message, fields), 2)
end

-- Logging -----------------------------------------------------------------

anaplan.logging = {}

-- Returns a logger that writes "level: message" lines to a file handle
-- (io.stderr by default). The SDK never logs unless a logger is given.
function anaplan.logging.to_file(handle)
  handle = handle or io.stderr
  return function(level, message)
    handle:write(level, ": ", message, "\n")
  end
end

-- CloudWorks --------------------------------------------------------------

local CloudWorks = {}
CloudWorks.__index = CloudWorks

local Flows = {}
Flows.__index = Flows

-- Raises a usage error unless self is an object of the class: the usual
-- slip is `cw.list_connections()` for `cw:list_connections()`.
local function check_self(self, class, name)
  if getmetatable(self) ~= class then
    local owner = class == Flows and "cw.flows" or "cw"
    raise("usage", string.format("call %s as %s:%s(...), with a colon", name, owner, name))
  end
end

-- Builds a method from an operation row: positional path parameters, then
-- the body when the row takes one.
local function generic_method(operation, class)
  local name, params, takes_body = operation.name, operation.params, operation.body_model ~= nil
  return function(self, ...)
    check_self(self, class, name)
    local args = {}
    local given = select("#", ...)
    local expected = params + (takes_body and 1 or 0)
    if given > expected then
      raise("usage", string.format("%s takes %d argument(s), got %d", name, expected, given))
    end
    if params >= 1 then
      args.id = select(1, ...)
    end
    if params >= 2 then
      args.id2 = select(2, ...)
    end
    if takes_body then
      args.body = select(params + 1, ...)
    end
    return core.call(self._session, name, args)
  end
end

local function is_flow_operation(name)
  return name:match("_flows?$") ~= nil
end

for _, operation in ipairs(core.operations()) do
  local class = is_flow_operation(operation.name) and Flows or CloudWorks
  class[operation.name] = generic_method(operation, class)
end

-- Checks an options table against the names a method accepts, so a typo
-- is an error rather than an option silently ignored.
local function check_options(method, options, allowed)
  if options == nil then
    return {}
  end
  if type(options) ~= "table" then
    raise("validation", string.format("%s: options should be a table, got %s", method, type(options)))
  end
  for key in pairs(options) do
    if allowed[key] == nil then
      local names = {}
      for name in pairs(allowed) do
        names[#names + 1] = name
      end
      table.sort(names)
      raise("validation", string.format("%s: unknown option '%s' (accepted: %s)",
        method, tostring(key), table.concat(names, ", ")))
    end
    if type(options[key]) ~= allowed[key] then
      raise("validation", string.format("%s: option '%s' should be a %s, got %s",
        method, key, allowed[key], type(options[key])))
    end
  end
  return options
end

-- list_integrations{sort_by = "name", descending = false, current_user_only = false}
function CloudWorks:list_integrations(options)
  check_self(self, CloudWorks, "list_integrations")
  options = check_options("list_integrations", options,
    { sort_by = "string", descending = "boolean", current_user_only = "boolean" })
  local query = {}
  if options.sort_by ~= nil then
    if options.sort_by ~= "name" then
      raise("validation", string.format(
        "list_integrations: sort_by should be 'name' (the only sort the API offers), got '%s'",
        options.sort_by:sub(1, 64)))
    end
    query.sortBy = options.descending and "-name" or "name"
  elseif options.descending ~= nil then
    raise("validation", "list_integrations: descending needs sort_by = 'name'")
  end
  if options.current_user_only ~= nil then
    query.myIntegrations = options.current_user_only
  end
  return core.call(self._session, "list_integrations", { query = query })
end

-- Returns the notification id that a selector {notification_id = ...} or
-- {integration_id = ...} names. With integration_id it fetches the
-- integration to read the id.
local function notification_id(self, method, selector)
  selector = check_options(method, selector, { notification_id = "string", integration_id = "string" })
  if selector.notification_id ~= nil and selector.integration_id ~= nil then
    raise("validation", method .. ": give notification_id or integration_id, not both")
  end
  if selector.notification_id ~= nil then
    return selector.notification_id
  end
  if selector.integration_id == nil then
    raise("validation", method .. ": notification_id or integration_id is required")
  end
  local integration = self:get_integration(selector.integration_id)
  local id = integration and integration.notificationId
  if id == nil then
    raise("validation", string.format("%s: integration %s has no notification configuration",
      method, selector.integration_id))
  end
  return id
end

-- get_notification_config{notification_id = ... | integration_id = ...}
function CloudWorks:get_notification_config(selector)
  check_self(self, CloudWorks, "get_notification_config")
  local id = notification_id(self, "get_notification_config", selector)
  return core.call(self._session, "get_notification_config", { id = id })
end

-- delete_notification_config{notification_id = ... | integration_id = ...}
function CloudWorks:delete_notification_config(selector)
  check_self(self, CloudWorks, "delete_notification_config")
  local id = notification_id(self, "delete_notification_config", selector)
  return core.call(self._session, "delete_notification_config", { id = id })
end

local function run_finished(status)
  return type(status) == "table" and status.endDate ~= nil
end

-- wait_for_run(run_id, {interval = 1, timeout = 3600, on_progress = fn}):
-- polls the run status until the run ends and returns the final status.
-- Raises a "timeout" error when the run is still going after `timeout`
-- seconds. on_progress(status) is called after every poll.
function CloudWorks:wait_for_run(run_id, options)
  check_self(self, CloudWorks, "wait_for_run")
  options = check_options("wait_for_run", options,
    { interval = "number", timeout = "number", on_progress = "function" })
  local interval = options.interval or 1
  local timeout = options.timeout or 3600
  if interval <= 0 or interval > 3600 then
    raise("validation", "wait_for_run: interval should be between 0 and 3600 seconds")
  end
  if timeout < 0 then
    raise("validation", "wait_for_run: timeout should not be negative")
  end

  local deadline = core.monotonic() + timeout
  while true do
    local status = self:get_run_status(run_id)
    if options.on_progress then
      options.on_progress(status)
    end
    if run_finished(status) then
      return status
    end
    local left = deadline - core.monotonic()
    if left <= 0 then
      raise("timeout", string.format("wait_for_run: run %s did not finish within %g s", run_id, timeout),
        { run_id = run_id })
    end
    core.sleep(math.min(interval, left))
  end
end

-- flows:list_flows{current_user_only = false}
function Flows:list_flows(options)
  check_self(self, Flows, "list_flows")
  options = check_options("list_flows", options, { current_user_only = "boolean" })
  local query = {}
  if options.current_user_only ~= nil then
    query.myIntegrations = options.current_user_only
  end
  return core.call(self._session, "list_flows", { query = query })
end

-- flows:run_flow(id, {only_steps = {...}}): every step, or only those listed.
function Flows:run_flow(id, options)
  check_self(self, Flows, "run_flow")
  options = check_options("run_flow", options, { only_steps = "table" })
  local body = nil
  if options.only_steps ~= nil then
    body = { stepsToRun = options.only_steps }
  end
  return core.call(self._session, "run_flow", { id = id, body = body })
end

-- Client ------------------------------------------------------------------

local Client = {}
Client.__index = Client
Client.__name = "anaplan.Client"

-- Closes the client: logs out a token it obtained and frees its handles.
-- Calling a method afterwards raises a "usage" error.
function Client:close()
  self._session:close()
end

Client.__close = Client.close

function Client.__tostring(self)
  return tostring(self._session):gsub("^anaplan%.Session", "anaplan.Client")
end

-- Sends one request to a path under cloudworks_url and returns the decoded
-- response, or the body as a string when raw is true. Use it to reach an
-- endpoint that this SDK does not wrap.
function Client:request(method, path, body_json, raw)
  return self._session:request(method, path, body_json, raw)
end

-- anaplan.Client{...}: see the README for the options. Validates them all
-- at once, and sends nothing until the first call.
function anaplan.Client(options)
  if type(options) ~= "table" then
    raise("validation", "anaplan.Client takes a table of options")
  end
  local session = core.session(options)
  local client = setmetatable({ _session = session }, Client)
  client.cw = setmetatable({ _session = session }, CloudWorks)
  client.cw.flows = setmetatable({ _session = session }, Flows)
  return client
end

setmetatable(anaplan, {
  __index = function(t, key)
    if key == "cloud_works" then
      local module = require("anaplan.cloud_works")
      rawset(t, key, module)
      return module
    end
  end,
})

return anaplan
