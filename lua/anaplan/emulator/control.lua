-- The emulator's control API under /__emulator/, for tests: reset, the log of
-- requests received, run-time settings, run outcomes, token expiry, faults
-- to inject, and shutdown. Control requests are neither logged nor subject
-- to faults.
local json = require("anaplan.emulator.json")

local control = {}

local Control = {}
Control.__index = Control

-- The log keeps the latest entries only, so that a long session with large
-- bodies cannot grow without bound.
local MAX_LOG_ENTRIES = 10000
local MAX_DELAY_SECONDS = 600

-- JSON fields whose values never reach the log. serviceAccountKey is an
-- object, and the whole object is masked.
local SECRET_FIELDS = {
  sasToken = true,
  secretAccessKey = true,
  serviceAccountKey = true,
  password = true,
  privateKey = true,
  encodedSignedData = true,
  clientSecret = true,
}

local MASKED_HEADERS = { authorization = true, ["proxy-authorization"] = true }

local FAULT_KINDS = {
  status = true, delay = true, close = true, close_mid_body = true, bad_json = true,
}
local FAULT_STATUSES = { [401] = true, [429] = true, [500] = true, [502] = true, [503] = true, [504] = true }
local OUTCOMES = { success = true, partial_failure = true, failure = true }

-- Creates the control API. options: state (the CloudWorks state), auth (the
-- auth service), config (the current page_cap, run_duration and token_ttl),
-- shutdown() (stops the server).
function control.new(options)
  return setmetatable({
    state = options.state,
    auth = options.auth,
    config = options.config,
    shutdown = options.shutdown,
    log = {},
    faults = {},
  }, Control)
end

---------------------------------------------------------------------------
-- Request log
---------------------------------------------------------------------------

local function mask_header(value)
  local scheme = value:match("^(%S+)%s")
  if scheme then
    return scheme .. " ***"
  end
  return "***"
end

-- Replaces secret field values in a decoded JSON value, at any depth.
-- Returns whether anything was replaced.
local function mask_fields(value)
  local masked = false
  for key, item in pairs(value) do
    if SECRET_FIELDS[key] then
      value[key] = "***"
      masked = true
    elseif type(item) == "table" then
      masked = mask_fields(item) or masked
    end
  end
  return masked
end

-- Returns the body as the log shows it: byte for byte unless a secret field
-- had to be masked. A body that is not JSON but names a secret field is
-- masked whole, because its secret cannot be found reliably.
function control.mask_body(text)
  if text == "" then
    return text
  end
  local value = json.decode(text)
  if type(value) == "table" then
    if mask_fields(value) then
      return json.encode(value)
    end
    return text
  end
  if value == nil then
    for field in pairs(SECRET_FIELDS) do
      if text:find('"' .. field .. '"', 1, true) then
        return "***"
      end
    end
  end
  return text
end

-- Adds request to the log and returns its entry. The caller sets
-- entry.fault when a fault applies.
function Control:record(request)
  local headers = {}
  for name, value in pairs(request.headers) do
    headers[name] = MASKED_HEADERS[name] and mask_header(value) or value
  end
  local entry = {
    method = request.method,
    path = request.path,
    query = request.query_string,
    headers = json.object(headers),
    body = control.mask_body(request.body),
  }
  self.log[#self.log + 1] = entry
  if #self.log > MAX_LOG_ENTRIES then
    table.remove(self.log, 1)
  end
  return entry
end

---------------------------------------------------------------------------
-- Faults
---------------------------------------------------------------------------

local function fault_matches(fault, method, path)
  if fault.method and fault.method ~= method then
    return false
  end
  if fault.prefix then
    return path:sub(1, #fault.prefix) == fault.prefix
  end
  return path == fault.path
end

-- Returns the first fault that matches the request, or nil. Each match
-- uses up one of the fault's count, and the last one removes the fault.
function Control:take_fault(method, path)
  for index, fault in ipairs(self.faults) do
    if fault_matches(fault, method, path) then
      fault.remaining = fault.remaining - 1
      if fault.remaining == 0 then
        table.remove(self.faults, index)
      end
      return fault
    end
  end
  return nil
end

local function is_integer(value)
  return math.type(value) == "integer"
end

local function is_number(value)
  return type(value) == "number" and value == value and value ~= math.huge and value ~= -math.huge
end

-- Returns a fault built from a request body, or nil and a message.
local function parse_fault(body)
  local known = {
    method = true, path = true, count = true, kind = true, status = true, retry_after = true, seconds = true,
    echo_body = true,
  }
  for key in pairs(body) do
    if not known[key] then
      return nil, string.format(
        "unknown field %q; faults take method, path, count, kind, status, retry_after, seconds, echo_body",
        tostring(key))
    end
  end

  if not FAULT_KINDS[body.kind] then
    return nil, "kind must be one of status, delay, close, close_mid_body, bad_json; got " .. json.encode(body.kind)
  end
  if type(body.path) ~= "string" or body.path:sub(1, 1) ~= "/" then
    return nil, "path must be a string starting with /, got " .. json.encode(body.path)
  end
  if body.method ~= nil and (type(body.method) ~= "string" or not body.method:match("^%a+$")) then
    return nil, "method must be an HTTP method name such as POST, got " .. json.encode(body.method)
  end
  if body.count ~= nil and (not is_integer(body.count) or body.count < 1) then
    return nil, "count must be a positive integer, got " .. json.encode(body.count)
  end

  local fault = {
    kind = body.kind,
    method = body.method and body.method:upper(),
    path = body.path,
    count = body.count or 1,
  }
  fault.remaining = fault.count
  if body.path:sub(-1) == "*" then
    fault.prefix = body.path:sub(1, -2)
  end

  if body.kind == "status" then
    if not FAULT_STATUSES[body.status] then
      return nil, "status must be one of 401, 429, 500, 502, 503, 504 for kind status, got " .. json.encode(body.status)
    end
    fault.status = body.status
    if body.retry_after ~= nil then
      if is_integer(body.retry_after) and body.retry_after >= 0 then
        fault.retry_after = tostring(body.retry_after)
      elseif type(body.retry_after) == "string" and body.retry_after:match("^[ -~]+$") then
        fault.retry_after = body.retry_after
      else
        return nil, "retry_after must be a number of seconds or an HTTP date, got " .. json.encode(body.retry_after)
      end
    end
    -- Some servers quote the request back in their error message; echo_body
    -- makes this one do so, to test that clients keep secrets out of errors.
    if body.echo_body ~= nil and type(body.echo_body) ~= "boolean" then
      return nil, "echo_body must be a boolean, got " .. json.encode(body.echo_body)
    end
    fault.echo_body = body.echo_body
  elseif body.status ~= nil or body.retry_after ~= nil or body.echo_body ~= nil then
    return nil, "status, retry_after and echo_body apply only to kind status, not " .. body.kind
  end

  if body.kind == "delay" then
    if not is_number(body.seconds) or body.seconds < 0 or body.seconds > MAX_DELAY_SECONDS then
      return nil, string.format("seconds must be a number from 0 to %d for kind delay, got %s",
        MAX_DELAY_SECONDS, json.encode(body.seconds))
    end
    fault.seconds = body.seconds
  elseif body.seconds ~= nil then
    return nil, "seconds applies only to kind delay, not " .. body.kind
  end
  return fault
end

local function describe_fault(fault)
  return {
    kind = fault.kind,
    method = fault.method,
    path = fault.path,
    count = fault.count,
    remaining = fault.remaining,
    status = fault.status,
    retry_after = fault.retry_after,
    echo_body = fault.echo_body,
    seconds = fault.seconds,
  }
end

---------------------------------------------------------------------------
-- Settings
---------------------------------------------------------------------------

-- Returns the settings a /config body requests, or nil and a message.
local function parse_config(body)
  for key in pairs(body) do
    if key ~= "page_cap" and key ~= "run_duration" and key ~= "token_ttl" then
      return nil, string.format("unknown field %q; config takes page_cap, run_duration, token_ttl", tostring(key))
    end
  end
  if body.page_cap ~= nil and (not is_integer(body.page_cap) or body.page_cap < 1) then
    return nil, "page_cap must be a positive integer, got " .. json.encode(body.page_cap)
  end
  if body.run_duration ~= nil and (not is_number(body.run_duration) or body.run_duration < 0) then
    return nil, "run_duration must be a number of seconds, 0 or more, got " .. json.encode(body.run_duration)
  end
  if body.token_ttl ~= nil and (not is_number(body.token_ttl) or body.token_ttl <= 0) then
    return nil, "token_ttl must be a number of seconds above 0, got " .. json.encode(body.token_ttl)
  end
  return { page_cap = body.page_cap, run_duration = body.run_duration, token_ttl = body.token_ttl }
end

---------------------------------------------------------------------------
-- Routes
---------------------------------------------------------------------------

local function success(payload)
  payload = payload or {}
  payload.status = { code = 200, message = "Success" }
  return 200, payload
end

local function bad_request(message)
  return 400, { status = { code = 400, message = message } }
end

-- Calls a state method that may raise or return nil and a message on bad
-- input. Returns true, or false and the message.
local function call_state(state, method, ...)
  local ok, result, message = pcall(state[method], state, ...)
  if not ok then
    return false, tostring(result)
  end
  if result == nil and message ~= nil then
    return false, tostring(message)
  end
  return true
end

local routes = {}

routes["POST /reset"] = function(self)
  self.state:reset()
  self.auth:reset()
  self.log = {}
  self.faults = {}
  return success()
end

routes["GET /requests"] = function(self)
  return success({ requests = json.array(self.log) })
end

routes["DELETE /requests"] = function(self)
  self.log = {}
  return success()
end

routes["POST /config"] = function(self, body)
  local settings, message = parse_config(body)
  if not settings then
    return bad_request(message)
  end
  if settings.page_cap or settings.run_duration then
    local ok, message = call_state(self.state, "configure",
      { page_cap = settings.page_cap, run_duration = settings.run_duration })
    if not ok then
      return bad_request("cannot change the config: " .. message)
    end
  end
  if settings.token_ttl then
    self.auth:configure({ token_ttl = settings.token_ttl })
  end
  for key, value in pairs(settings) do
    self.config[key] = value
  end
  return success({ config = self.config })
end

routes["POST /outcome"] = function(self, body)
  local id, outcome = body.integrationId, body.outcome
  if type(id) ~= "string" or not id:match("^%x+$") or #id ~= 32 then
    return bad_request("integrationId must be 32 hexadecimal characters, got " .. json.encode(id))
  end
  if not OUTCOMES[outcome] then
    return bad_request("outcome must be success, partial_failure or failure, got " .. json.encode(outcome))
  end
  local ok, message = call_state(self.state, "set_next_outcome", id:lower(), outcome)
  if not ok then
    return bad_request("cannot set the next outcome: " .. message)
  end
  return success()
end

routes["POST /tokens/expire"] = function(self)
  self.auth:expire_all()
  return success()
end

routes["GET /faults"] = function(self)
  local faults = json.array()
  for _, fault in ipairs(self.faults) do
    faults[#faults + 1] = describe_fault(fault)
  end
  return success({ faults = faults })
end

routes["POST /faults"] = function(self, body)
  local fault, message = parse_fault(body)
  if not fault then
    return bad_request(message)
  end
  self.faults[#self.faults + 1] = fault
  return success({ fault = describe_fault(fault) })
end

routes["DELETE /faults"] = function(self)
  self.faults = {}
  return success()
end

routes["POST /shutdown"] = function(self)
  local status, payload = success()
  return status, payload, self.shutdown
end

-- Routes whose handler reads a JSON object body.
local TAKES_BODY = {
  ["POST /config"] = true, ["POST /outcome"] = true, ["POST /faults"] = true,
}

local ALLOWED = {}
for route in pairs(routes) do
  local method, path = route:match("^(%S+) (.*)$")
  ALLOWED[path] = ALLOWED[path] and (ALLOWED[path] .. ", " .. method) or method
end

-- Handles a request under /__emulator. Returns status, a body table, and a
-- function to run once the response is sent (or nil).
function Control:handle(request)
  local path = request.path:sub(#"/__emulator" + 1)
  local route = request.method .. " " .. path
  local handler = routes[route]
  if not handler then
    if ALLOWED[path] then
      return 405, { status = { code = 405, message = request.method .. " is not allowed here; use " .. ALLOWED[path] } }
    end
    return 404, { status = { code = 404, message = "no control operation at " .. request.path } }
  end

  local body
  if TAKES_BODY[route] then
    local message
    body, message = json.decode(request.body ~= "" and request.body or "null")
    if type(body) ~= "table" or json.is_array(body) and next(body) ~= nil then
      return bad_request("the body must be a JSON object" .. (message and (": " .. message) or ""))
    end
  end
  return handler(self, body)
end

return control
