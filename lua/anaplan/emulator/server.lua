-- The emulator's HTTP/1.1 server on luv, and the routing that serves the auth
-- API, CloudWorks 2.0 and the control API on one loopback port.
--
-- Requests on a connection are handled one at a time: reading pauses while a
-- request is being handled, so responses go out in order and a client that
-- pipelines cannot grow the buffers. Request bodies need Content-Length,
-- which the SDK's libcurl requests always send, and a request with
-- Transfer-Encoding is rejected with 411.
local uv = require("luv")
local json = require("anaplan.emulator.json")
local auth = require("anaplan.emulator.auth")
local control = require("anaplan.emulator.control")

local server = {}

server.MAX_BODY = 16 * 1024 * 1024
local MAX_HEAD = 64 * 1024
local IDLE_TIMEOUT_MS = 60 * 1000
-- How long a closing connection keeps draining what the client still sends,
-- so that the kernel does not reset the connection before the response arrives.
local LINGER_MS = 2000

local REASONS = {
  [100] = "Continue", [200] = "OK", [201] = "Created", [202] = "Accepted",
  [204] = "No Content", [400] = "Bad Request", [401] = "Unauthorized",
  [403] = "Forbidden", [404] = "Not Found", [405] = "Method Not Allowed",
  [409] = "Conflict", [411] = "Length Required", [413] = "Content Too Large",
  [415] = "Unsupported Media Type", [417] = "Expectation Failed",
  [422] = "Unprocessable Content", [429] = "Too Many Requests",
  [431] = "Request Header Fields Too Large", [500] = "Internal Server Error",
  [501] = "Not Implemented", [502] = "Bad Gateway", [503] = "Service Unavailable",
  [504] = "Gateway Timeout", [505] = "HTTP Version Not Supported",
}

function server.reason(status)
  return REASONS[status] or "Unknown"
end

-- The live web server responds to unrouted paths with an HTML page, not JSON.
local NOT_FOUND_PAGE = table.concat({
  "<!DOCTYPE html>",
  "<html><head><title>404 Not Found</title></head>",
  "<body><h1>404 Not Found</h1><p>The requested URL was not found on this server.</p></body>",
  "</html>",
  "",
}, "\n")

---------------------------------------------------------------------------
-- Addresses
---------------------------------------------------------------------------

-- Returns the address to bind for host, or nil and a message when host is not
-- a loopback address. "localhost" binds 127.0.0.1.
function server.loopback_address(host)
  if type(host) ~= "string" then
    return nil, "host must be a string, got " .. type(host)
  end
  if host == "localhost" then
    return "127.0.0.1"
  end
  if host == "::1" or host == "[::1]" then
    return "::1"
  end
  local octets = { host:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$") }
  local valid = #octets == 4 and tonumber(octets[1]) == 127
  for _, octet in ipairs(octets) do
    if tonumber(octet) > 255 or (#octet > 1 and octet:sub(1, 1) == "0") then
      valid = false
    end
  end
  if valid then
    return host
  end
  return nil, string.format(
    "host %q is not a loopback address; the emulator listens only on 127.0.0.0/8, ::1 or localhost", host)
end

-- Returns "http://HOST:PORT", with an IPv6 host in brackets.
function server.base_url(host, port)
  if host:find(":", 1, true) then
    host = "[" .. host .. "]"
  end
  return string.format("http://%s:%d", host, port)
end

---------------------------------------------------------------------------
-- Request parsing
---------------------------------------------------------------------------

local function percent_decode(text)
  text = text:gsub("+", " ")
  return (text:gsub("%%(%x%x)", function(hex)
    return string.char(tonumber(hex, 16))
  end))
end

-- Returns the query string as a table of decoded names to decoded values.
-- A name given twice keeps its last value, and "a" without "=" maps to "".
function server.parse_query(query_string)
  local query = {}
  for pair in query_string:gmatch("[^&]+") do
    local name, value = pair:match("^([^=]*)=?(.*)$")
    query[percent_decode(name)] = percent_decode(value)
  end
  return query
end

local TOKEN = "[!#$%%&'*+%-.^_`|~%w]+"

-- Returns the request described by head (request line and header lines), or
-- nil, an error status and a message.
local function parse_head(head)
  local request_line, rest = head:match("^([^\r\n]*)\r\n(.*)$")
  if not request_line then
    request_line, rest = head, ""
  end

  local method, target, version = request_line:match("^(" .. TOKEN .. ") (%S+) HTTP/(%d%.%d)$")
  if not method then
    return nil, 400, "malformed request line"
  end
  if version ~= "1.1" and version ~= "1.0" then
    return nil, 505, "HTTP version " .. version .. " is not supported"
  end
  if target:sub(1, 1) ~= "/" then
    return nil, 400, "request target must be an absolute path"
  end

  local headers = {}
  local header_lines = rest == "" and "" or rest .. "\r\n"
  for line in header_lines:gmatch("(.-)\r\n") do
    local name, value = line:match("^(" .. TOKEN .. "):[ \t]*(.-)[ \t]*$")
    if not name then
      return nil, 400, "malformed header line"
    end
    name = name:lower()
    if headers[name] then
      headers[name] = headers[name] .. ", " .. value
    else
      headers[name] = value
    end
  end

  local path, query_string = target:match("^([^?#]*)%??([^#]*)")
  return {
    method = method,
    target = target,
    version = version,
    path = path,
    query_string = query_string,
    query = server.parse_query(query_string),
    headers = headers,
  }
end

-- Returns the body length of request, or nil, an error status and a message.
local function body_length(request)
  if request.headers["transfer-encoding"] then
    return nil, 411, "a request body needs Content-Length; Transfer-Encoding is not supported"
  end
  local field = request.headers["content-length"]
  if not field then
    return 0
  end

  -- Repeated Content-Length fields arrive joined by commas and must agree.
  local length
  for item in field:gmatch("[^,]+") do
    local digits = item:match("^%s*(%d+)%s*$")
    if not digits or #digits > 15 or (length and tonumber(digits) ~= length) then
      return nil, 400, "invalid Content-Length " .. string.format("%q", field)
    end
    length = tonumber(digits)
  end
  if not length then
    return nil, 400, "invalid Content-Length " .. string.format("%q", field)
  end
  if length > server.MAX_BODY then
    return nil, 413, string.format("request body of %d bytes is over the limit of %d bytes",
      length, server.MAX_BODY)
  end
  return length
end

local function has_token(field, token)
  for item in (field or ""):gmatch("[^,]+") do
    if item:match("^%s*(.-)%s*$"):lower() == token then
      return true
    end
  end
  return false
end

local function wants_keep_alive(request)
  local connection = request.headers.connection
  if request.version == "1.0" then
    return has_token(connection, "keep-alive")
  end
  return not has_token(connection, "close")
end

---------------------------------------------------------------------------
-- Responses
---------------------------------------------------------------------------

local function http_date()
  return os.date("!%a, %d %b %Y %H:%M:%S GMT")
end

-- Returns the status line and header block. Content-Length is always sent,
-- except on 204, where RFC 9110 forbids it.
local function format_head(status, headers, length, keep_alive)
  local lines = { string.format("HTTP/1.1 %d %s", status, server.reason(status)) }
  local names = {}
  for name in pairs(headers or {}) do
    local lower = name:lower()
    if lower ~= "content-length" and lower ~= "connection" and lower ~= "date" then
      names[#names + 1] = name
    end
  end
  table.sort(names)
  lines[#lines + 1] = "Date: " .. http_date()
  for _, name in ipairs(names) do
    lines[#lines + 1] = name .. ": " .. tostring(headers[name])
  end
  if status ~= 204 then
    lines[#lines + 1] = "Content-Length: " .. length
  end
  lines[#lines + 1] = keep_alive and "Connection: keep-alive" or "Connection: close"
  return table.concat(lines, "\r\n") .. "\r\n\r\n"
end

---------------------------------------------------------------------------
-- Connections
---------------------------------------------------------------------------

local Connection = {}
Connection.__index = Connection

local Reply = {}
Reply.__index = Reply

local function close_handle(handle)
  if handle and not handle:is_closing() then
    handle:close()
  end
end

function Connection:close()
  if self.closed then
    return
  end
  self.closed = true
  self.listener.connections[self] = nil
  close_handle(self.timer)
  close_handle(self.socket)
end

-- Sends FIN, then drains and discards input until the client closes or
-- LINGER_MS passes, so the response is not lost to a connection reset.
function Connection:close_gracefully()
  if self.closed or self.closing then
    return
  end
  self.closing = true
  self.socket:shutdown(function()
    if self.closed then
      return
    end
    self.timer:stop()
    self.timer:start(LINGER_MS, 0, function()
      self:close()
    end)
    self.socket:read_start(function(err, data)
      if err or not data then
        self:close()
      end
    end)
  end)
end

function Connection:restart_idle_timer()
  self.timer:stop()
  self.timer:start(IDLE_TIMEOUT_MS, 0, function()
    if not self.busy then
      self:close()
    end
  end)
end

function Connection:write(data, callback)
  if self.closed or self.closing then
    return
  end
  self.socket:write(data, function(err)
    if err then
      self:close()
      return
    end
    if callback then
      callback()
    end
  end)
end

-- Responds to a request that could not be parsed, then closes the connection.
function Connection:fail(status, message)
  self.busy = true
  self.socket:read_stop()
  local body = json.encode({ status = { code = status, message = message } })
  local head = format_head(status, { ["Content-Type"] = "application/json" }, #body, false)
  self:write({ head, body }, function()
    self:close_gracefully()
  end)
end

function Connection:on_read(err, data)
  if self.closed or self.closing then
    return
  end
  if err or not data then
    self.eof = true
    if not self.busy then
      self:close()
    end
    return
  end

  self:restart_idle_timer()
  if self.pending then
    self.chunks[#self.chunks + 1] = data
    self.received = self.received + #data
  else
    self.buffer = self.buffer .. data
  end
  self:process()
end

-- Parses the next request head in the buffer. Returns false when more input
-- is needed or the connection failed.
function Connection:start_request()
  local head_end = self.buffer:find("\r\n\r\n", 1, true)
  if not head_end then
    if #self.buffer > MAX_HEAD then
      self:fail(431, "request head is over the limit of " .. MAX_HEAD .. " bytes")
    end
    return false
  end
  if head_end > MAX_HEAD then
    self:fail(431, "request head is over the limit of " .. MAX_HEAD .. " bytes")
    return false
  end

  local request, status, message = parse_head(self.buffer:sub(1, head_end - 1))
  local rest = self.buffer:sub(head_end + 4)
  self.buffer = ""
  if not request then
    self:fail(status, message)
    return false
  end
  local length
  length, status, message = body_length(request)
  if not length then
    self:fail(status, message)
    return false
  end
  local expect = request.headers.expect
  if expect and expect:lower() ~= "100-continue" then
    self:fail(417, "unsupported Expect value " .. string.format("%q", expect))
    return false
  end

  request.content_length = length
  self.pending = request
  self.chunks = { rest }
  self.received = #rest
  if expect and length > self.received then
    self:write("HTTP/1.1 100 Continue\r\n\r\n")
  end
  return true
end

-- Handles every complete request in the buffer, one at a time.
function Connection:process()
  while not self.busy and not self.closed and not self.closing do
    if not self.pending and not self:start_request() then
      return
    end
    local request = self.pending
    if self.received < request.content_length then
      return
    end

    local data = table.concat(self.chunks)
    request.body = data:sub(1, request.content_length)
    self.buffer = data:sub(request.content_length + 1)
    self.pending, self.chunks, self.received = nil, nil, nil
    self:dispatch(request)
  end
end

function Connection:dispatch(request)
  self.busy = true
  self.socket:read_stop()
  self.timer:stop()
  request.keep_alive = wants_keep_alive(request) and not self.eof

  local reply = setmetatable({ connection = self, request = request }, Reply)
  local ok, err = xpcall(self.listener.on_request, debug.traceback, request, reply)
  if not ok then
    self.listener.on_error(string.format("%s %s failed: %s", request.method, request.path, err))
    if not reply.sent then
      local body = json.encode({ status = { code = 500, message = "Internal Server Error" } })
      reply:send(500, { ["Content-Type"] = "application/json" }, body)
    end
  end
end

-- Ends the current request: keeps the connection for the next one, or closes it.
function Connection:finish(keep_alive)
  if self.closed or self.closing then
    return
  end
  if not keep_alive then
    self:close_gracefully()
    return
  end
  self.busy = false
  self.socket:read_start(function(err, data)
    self:on_read(err, data)
  end)
  self:restart_idle_timer()
  self:process()
end

-- Sends the response. after, when given, runs once the response is written.
function Reply:send(status, headers, body, after)
  assert(not self.sent, "a request can have only one response")
  self.sent = true
  body = body or ""
  local connection = self.connection
  local keep_alive = self.request.keep_alive
  local head = format_head(status, headers, #body, keep_alive)
  if self.request.method == "HEAD" or status == 204 then
    body = ""
  end
  connection:write({ head, body }, function()
    if after then
      after()
    end
    connection:finish(keep_alive)
  end)
end

-- Sends the status line, the headers with the full Content-Length and the
-- first half of the body, then closes the connection in mid-response.
function Reply:send_truncated(status, headers, body)
  assert(not self.sent, "a request can have only one response")
  self.sent = true
  local connection = self.connection
  local head = format_head(status, headers, #body, false)
  connection:write({ head, body:sub(1, #body // 2) }, function()
    connection:close()
  end)
end

-- Closes the connection without a response.
function Reply:abort()
  assert(not self.sent, "a request can have only one response")
  self.sent = true
  self.connection:close()
end

---------------------------------------------------------------------------
-- Listener
---------------------------------------------------------------------------

local Listener = {}
Listener.__index = Listener

function Listener:accept()
  local socket = uv.new_tcp()
  local ok, err = self.tcp:accept(socket)
  if not ok then
    socket:close()
    self.on_error("accepting a connection failed: " .. tostring(err))
    return
  end
  local connection = setmetatable({
    listener = self,
    socket = socket,
    timer = uv.new_timer(),
    buffer = "",
  }, Connection)
  self.connections[connection] = true
  connection:restart_idle_timer()
  socket:read_start(function(read_err, data)
    connection:on_read(read_err, data)
  end)
end

-- Stops listening and closes every connection.
function Listener:close()
  close_handle(self.tcp)
  for connection in pairs(self.connections) do
    connection:close()
  end
end

-- Listens on options.host (a loopback address) and options.port (0 picks a
-- free port). options.on_request(request, reply) is called for each request,
-- options.on_error(message) for errors the server catches. Returns the
-- listener (its host and port fields give the address), or nil and a message.
function server.listen(options)
  local address, message = server.loopback_address(options.host or "127.0.0.1")
  if not address then
    return nil, message
  end

  local tcp = uv.new_tcp()
  local listener = setmetatable({
    tcp = tcp,
    host = address,
    connections = {},
    on_request = options.on_request,
    on_error = options.on_error or function() end,
  }, Listener)
  local ok, err = tcp:bind(address, options.port or 0)
  if ok then
    ok, err = tcp:listen(128, function(listen_err)
      if listen_err then
        listener.on_error("listening failed: " .. tostring(listen_err))
        return
      end
      listener:accept()
    end)
  end
  if not ok then
    tcp:close()
    return nil, string.format("cannot listen on %s port %s: %s", address, tostring(options.port or 0), err)
  end
  listener.port = tcp:getsockname().port
  return listener
end

---------------------------------------------------------------------------
-- The emulator: routing, authorization, faults
---------------------------------------------------------------------------

local Emulator = {}
Emulator.__index = Emulator

local function json_response(status, value, headers)
  headers = headers or {}
  headers["Content-Type"] = headers["Content-Type"] or "application/json"
  return status, headers, json.encode(value)
end

local function not_found_response()
  return 404, { ["Content-Type"] = "text/html; charset=utf-8" }, NOT_FOUND_PAGE
end

-- Turns a handler's (status, body, headers) into (status, headers, text).
-- Tables are JSON-encoded and strings are sent as they are.
local function encode_response(status, body, headers)
  local out = {}
  local content_type
  for name, value in pairs(headers or {}) do
    if name:lower() == "content-type" then
      content_type = value
    else
      out[name] = value
    end
  end
  if type(body) == "table" then
    out["Content-Type"] = content_type or "application/json"
    return status, out, json.encode(body)
  end
  body = body or ""
  if body ~= "" or content_type then
    out["Content-Type"] = content_type or "text/plain; charset=utf-8"
  end
  return status, out, body
end

local function is_under(path, prefix)
  return path == prefix or path:sub(1, #prefix + 1) == prefix .. "/"
end

-- Returns a copy, so that a handler cannot change the user that auth stores.
local function copy_user(user)
  return { id = user.id, email = user.email, name = user.name }
end

-- Responds to a CloudWorks request: checks the token, then calls the state.
function Emulator:respond_cloudworks(request)
  local user, message = self.auth:authorize(request.headers.authorization)
  if not user then
    return json_response(401, { status = { code = 401, message = message } })
  end

  local body, json_error
  if request.body ~= "" then
    body, json_error = json.decode(request.body)
  end
  local status, result, headers = self.state:handle({
    method = request.method,
    path = request.path:sub(#"/2/0" + 1),
    query = request.query,
    body = body,
    raw_body = request.body,
    json_error = json_error,
    user = copy_user(user),
  })
  if status == nil then
    return not_found_response()
  end
  return encode_response(status, result, headers)
end

-- Returns (status, headers, text) for an auth or CloudWorks request.
function Emulator:respond(request)
  if is_under(request.path, "/token") then
    local status, body, headers = self.auth:handle(request)
    if status == nil then
      return not_found_response()
    end
    return encode_response(status, body, headers)
  end
  if is_under(request.path, "/2/0") then
    return self:respond_cloudworks(request)
  end
  return not_found_response()
end

-- Returns (status, headers, text) of the error a status fault injects. The
-- auth API has its own error shape for 401. Every other response uses the
-- CloudWorks envelope.
local function fault_response(request, fault)
  local headers = {}
  if fault.retry_after then
    headers["Retry-After"] = fault.retry_after
  end
  if fault.status == 401 and is_under(request.path, "/token") then
    return json_response(401, {
      status = "FAILURE_BAD_CREDENTIAL",
      statusMessage = "Authentication failed (injected fault)",
    }, headers)
  end
  local message = server.reason(fault.status)
  if fault.echo_body then
    message = message .. ": " .. request.body
  end
  return json_response(fault.status, {
    status = { code = fault.status, message = message },
  }, headers)
end

function Emulator:log_request(request, status, fault)
  if not self.log then
    return
  end
  local outcome = status and tostring(status) or "closed"
  if fault then
    outcome = outcome .. " (fault " .. fault.kind .. ")"
  end
  self.log(string.format("%s %s %s", request.method, request.path, outcome))
end

-- Runs the request, applies its fault if any, and sends the response.
function Emulator:serve(request, reply, fault)
  local kind = fault and fault.kind
  if kind == "status" then
    local status, headers, text = fault_response(request, fault)
    reply:send(status, headers, text)
    self:log_request(request, status, fault)
    return
  end
  if kind == "close" then
    reply:abort()
    self:log_request(request, nil, fault)
    return
  end

  local status, headers, text = self:respond(request)
  if kind == "close_mid_body" then
    reply:send_truncated(status, headers, text)
  elseif kind == "bad_json" then
    status = 200
    reply:send(status, { ["Content-Type"] = "application/json" },
      "<html><body><h1>Service temporarily unavailable</h1></body></html>\n")
  else
    reply:send(status, headers, text)
  end
  self:log_request(request, status, fault)
end

function Emulator:on_request(request, reply)
  if is_under(request.path, "/__emulator") then
    local status, body, after = self.control:handle(request)
    local _, headers, text = json_response(status, body)
    reply:send(status, headers, text, after)
    return
  end

  local entry = self.control:record(request)
  local fault = self.control:take_fault(request.method, request.path)
  if fault then
    entry.fault = fault.kind
  end
  if fault and fault.kind == "delay" then
    local timer = uv.new_timer()
    self.timers[timer] = true
    timer:start(math.floor(fault.seconds * 1000 + 0.5), 0, function()
      self.timers[timer] = nil
      timer:close()
      local ok, err = xpcall(self.serve, debug.traceback, self, request, reply, fault)
      if not ok then
        self.on_error(string.format("%s %s failed: %s", request.method, request.path, err))
        if not reply.sent then
          reply:abort()
        end
      end
    end)
    return
  end
  self:serve(request, reply, fault)
end

-- Stops listening, closes every connection and timer, then calls
-- on_stop(reason). Safe to call more than once.
function Emulator:stop(reason)
  if self.stopped then
    return
  end
  self.stopped = true
  self.listener:close()
  for timer in pairs(self.timers) do
    close_handle(timer)
  end
  self.timers = {}
  if self.on_stop then
    self.on_stop(reason or "stop requested")
  end
end

local function default_clock()
  local seconds, microseconds = uv.gettimeofday()
  return seconds + microseconds / 1e6
end

-- Starts an emulator in this process, on the running or next luv loop.
-- options (all optional): host ("127.0.0.1"), port (0 = any free port),
-- user_email, password, token_ttl, page_cap, run_duration, clock (seconds
-- since the epoch, for tests), state (a CloudWorks state; by default
-- anaplan.emulator.cloudworks builds one), log(line) for one line per request,
-- on_error(message) for errors caught while serving, on_stop(reason) called
-- once the emulator has stopped. Returns the emulator, or nil and a message.
function server.start(options)
  options = options or {}
  local clock = options.clock or default_clock
  local config = {
    page_cap = options.page_cap or 1000,
    run_duration = options.run_duration or 1.0,
    token_ttl = options.token_ttl or 2100,
  }
  local state = options.state or require("anaplan.emulator.cloudworks").new({
    clock = clock,
    page_cap = config.page_cap,
    run_duration = config.run_duration,
  })
  local auth_service = auth.new({
    user_email = options.user_email,
    password = options.password,
    token_ttl = config.token_ttl,
    clock = clock,
  })

  local self = setmetatable({
    state = state,
    auth = auth_service,
    timers = {},
    log = options.log,
    on_error = options.on_error or function() end,
    on_stop = options.on_stop,
  }, Emulator)
  self.control = control.new({
    state = state,
    auth = auth_service,
    config = config,
    shutdown = function()
      self:stop("shutdown requested through the control API")
    end,
  })

  local listener, message = server.listen({
    host = options.host,
    port = options.port,
    on_request = function(request, reply)
      self:on_request(request, reply)
    end,
    on_error = self.on_error,
  })
  if not listener then
    return nil, message
  end
  self.listener = listener
  self.host = listener.host
  self.port = listener.port
  self.base_url = server.base_url(listener.host, listener.port)
  self.auth_url = self.base_url
  self.cloudworks_url = self.base_url .. "/2/0"
  auth_service:set_base_url(self.base_url)
  return self
end

return server
