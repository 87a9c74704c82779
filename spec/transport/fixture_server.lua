-- A small HTTP server with fixed responses for the transport specs. It sends
-- what the emulator never sends: JSON numbers past 2^53, nulls inside arrays,
-- chunked bodies and control characters in error pages. Its login issues a
-- token whose value the specs know, so they can check that the token never
-- reaches a log line or a message.
--
-- It runs as a child process (the session blocks this one while it waits)
-- on 127.0.0.1 only, serves at most MAX_REQUESTS requests and exits after
-- LIFETIME seconds even when stop() is never called.
local uv = require("luv")

local fixture = {}

fixture.ISSUED_TOKEN = "fixture-issued-token-5c1e9a"

local SERVER_CODE = [==[
local uv = require("luv")
local ISSUED_TOKEN, MAX_REQUESTS, LIFETIME = ...
MAX_REQUESTS, LIFETIME = tonumber(MAX_REQUESTS), tonumber(LIFETIME)

-- Lifetime of the tokens that the /short-expiry login and refresh issue.
local SHORT_LIFETIME_MS = 60

local function json_envelope(code, message)
  return string.format('{"status":{"code":%d,"message":"%s"}}', code, message)
end

-- expires_at is the JSON text of tokenInfo.expiresAt; an hour from now by
-- default.
local function login_body(expires_at)
  expires_at = expires_at or string.format("%d", math.floor((os.time() + 3600) * 1000))
  return string.format('{"status":"SUCCESS","statusMessage":"Login successful",'
    .. '"tokenInfo":{"tokenValue":"%s","expiresAt":%s,"refreshTokenId":"r-1"}}', ISSUED_TOKEN, expires_at)
end

local BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function base64_decode(text)
  local bits = text:gsub("[^%w+/]", ""):gsub(".", function(c)
    local value = BASE64:find(c, 1, true) - 1
    local out = ""
    for i = 5, 0, -1 do
      out = out .. (value >> i & 1)
    end
    return out
  end)
  return (bits:gsub("%d%d%d%d%d%d%d%d", function(byte) return string.char(tonumber(byte, 2)) end))
end

-- Returns what a careless server might echo from the request: the
-- Authorization header and, for Basic, the decoded user:password pair.
local function echo_of(head)
  local authorization = head:match("\r\n[Aa]uthorization: ([^\r\n]*)") or "(none)"
  local basic = authorization:match("^Basic (.+)$")
  if basic then
    return "Authorization: " .. authorization .. "; credentials " .. base64_decode(basic)
  end
  return "Authorization: " .. authorization
end

local function long_page()
  -- 199 ASCII bytes then "é" (2 bytes), so a 200-byte cut splits the "é".
  return "<html>" .. string.rep("a", 193) .. "\195\169" .. string.rep("b", 400) .. "</html>"
end

-- Connections the hang-up listener accepted and closed.
local hangups = 0

-- Returns status, extra header lines and body for a path; head is the
-- request line and headers.
local function route(path, head)
  if path == "/echo/token/authenticate" then
    return 401, {}, string.format('{"status":"FAILURE_BAD_CREDENTIAL","statusMessage":"%s"}', echo_of(head))
  end
  if path == "/2/0/echo-json" then return 400, {}, json_envelope(400, echo_of(head)) end
  if path == "/2/0/echo-page" then
    return 400, { "Content-Type: text/html" }, "<p>" .. echo_of(head) .. "</p>"
  end
  if path == "/2/0/echo-ok" then return 200, { "Content-Type: text/html" }, "<p>" .. echo_of(head) .. "</p>" end
  if path == "/hangups" then return 200, {}, string.format('{"hangups":%d}', hangups) end
  if path == "/token/authenticate" then return 201, {}, login_body() end
  if path == "/short-expiry/token/authenticate" or path == "/short-expiry/token/refresh" then
    local seconds, microseconds = uv.gettimeofday()
    return 201, {}, login_body(string.format("%d", seconds * 1000 + microseconds // 1000 + SHORT_LIFETIME_MS))
  end
  if path == "/huge-expiry/token/authenticate" then return 201, {}, login_body("1e300") end
  if path == "/negative-expiry/token/authenticate" then return 201, {}, login_body("-1e300") end
  if path == "/token/refresh" then return 200, {}, login_body() end
  if path == "/token/logout" then return 204, {}, "" end
  if path == "/2/0/numbers" then
    return 200, {}, '{"small":3,"float":2.5,"negative":-42,"exponent":1e3,"limit":9007199254740992,'
      .. '"past_limit":9007199254740994,"huge":1e300,"nested":{"list":[1,null,2.0],"gone":null,"kept":true}}'
  end
  if path == "/2/0/top-number" then return 200, {}, "7.0" end
  if path == "/2/0/empty" then return 200, {}, "" end
  if path == "/2/0/blank" then return 200, {}, "  \r\n " end
  if path == "/2/0/no-content" then return 204, {}, "" end
  if path == "/2/0/text" then return 200, { "Content-Type: text/plain" }, "line one\nline two\n" end
  if path == "/2/0/json-404" then return 404, {}, json_envelope(404, "Resource not found") end
  if path == "/2/0/control-500" then
    return 500, { "Content-Type: text/html" }, "\1\2<h1>Bad\tgateway</h1>\r\n\r\n<p>try\127 later</p>"
  end
  if path == "/2/0/long-404" then return 404, { "Content-Type: text/html" }, long_page() end
  if path == "/2/0/unauthorized" then return 401, {}, json_envelope(401, "Unauthorized") end
  if path == "/2/0/redirect" then return 302, { "Location: http://127.0.0.1:9/elsewhere" }, "" end
  return 404, {}, json_envelope(404, "No such fixture")
end

local REASONS = { [200] = "OK", [201] = "Created", [204] = "No Content", [302] = "Found",
  [401] = "Unauthorized", [404] = "Not Found", [500] = "Internal Server Error" }

local served = 0
local server = uv.new_tcp()
assert(server:bind("127.0.0.1", 0))

-- Closes every connection as soon as it is accepted, so an https client
-- fails its TLS handshake before it can send a request.
local hangup_server = uv.new_tcp()
assert(hangup_server:bind("127.0.0.1", 0))
hangup_server:listen(16, function()
  local client = uv.new_tcp()
  hangup_server:accept(client)
  hangups = hangups + 1
  client:close()
end)

local function stop()
  server:close()
  hangup_server:close()
  uv.stop()
end

local function respond(client, path, head)
  if path == "/2/0/chunked" then
    local chunk = string.rep("x", 1000)
    local parts = { "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" }
    for _ = 1, 5 do
      parts[#parts + 1] = string.format("%x\r\n%s\r\n", #chunk, chunk)
    end
    parts[#parts + 1] = "0\r\n\r\n"
    client:write(table.concat(parts))
    return
  end
  local status, headers, body = route(path, head)
  local head = { string.format("HTTP/1.1 %d %s", status, REASONS[status] or "Status") }
  for _, line in ipairs(headers) do
    head[#head + 1] = line
  end
  if not body:find("^<") and not headers[1] then
    head[#head + 1] = "Content-Type: application/json"
  end
  head[#head + 1] = "Content-Length: " .. #body
  client:write(table.concat(head, "\r\n") .. "\r\n\r\n" .. body)
end

server:listen(16, function()
  local client = uv.new_tcp()
  server:accept(client)
  local buffer = ""
  client:read_start(function(err, data)
    if err or not data then
      client:close()
      return
    end
    buffer = buffer .. data
    while true do
      local head_end = buffer:find("\r\n\r\n", 1, true)
      if not head_end then return end
      local length = tonumber(buffer:sub(1, head_end):lower():match("\r\ncontent%-length: *(%d+)")) or 0
      if #buffer < head_end + 3 + length then return end
      local path = buffer:match("^%u+ ([^ ?]+)")
      local head = buffer:sub(1, head_end + 1)
      buffer = buffer:sub(head_end + 4 + length)
      served = served + 1
      respond(client, path, head)
      if served >= MAX_REQUESTS then
        stop()
        return
      end
    end
  end)
end)

local timer = uv.new_timer()
timer:start(LIFETIME * 1000, 0, stop)
io.stdout:write(string.format("http://127.0.0.1:%d %d\n", server:getsockname().port,
  hangup_server:getsockname().port))
io.stdout:flush()
uv.run()
]==]

local MAX_REQUESTS = 500
local LIFETIME = 300

-- Starts the server and returns a handle with url (its base URL),
-- cloudworks_url (url .. "/2/0"), hangup_url (a listener that closes every
-- connection at once; GET url .. "/hangups" returns how many it closed) and
-- stop(). options.max_requests and options.lifetime (seconds) raise the
-- limits for long specs.
function fixture.start(options)
  options = options or {}
  local script = os.tmpname()
  local file = assert(io.open(script, "w"))
  file:write(SERVER_CODE)
  file:close()

  local stdout = uv.new_pipe(false)
  local output = ""
  local handle = {}
  local process = uv.spawn("lua5.4", {
    args = { script, fixture.ISSUED_TOKEN, tostring(options.max_requests or MAX_REQUESTS),
      tostring(options.lifetime or LIFETIME) },
    stdio = { nil, stdout, 2 },
  }, function()
    handle.exited = true
  end)
  assert(process, "could not start lua5.4 for the fixture server")
  handle.process = process
  stdout:read_start(function(_, data)
    if data then
      output = output .. data
    end
  end)
  local deadline = uv.now() + 10000
  while not output:find("\n", 1, true) and not handle.exited and uv.now() < deadline do
    uv.run("once")
  end
  stdout:read_stop()
  stdout:close()
  uv.run("nowait")
  -- The child has loaded the script once it printed its URL.
  os.remove(script)

  local url, hangup_port = output:match("^(http://127%.0%.0%.1:%d+) (%d+)\n")
  handle.url = assert(url, "the fixture server printed no URL")
  handle.cloudworks_url = handle.url .. "/2/0"
  handle.hangup_url = "https://127.0.0.1:" .. hangup_port
  function handle.stop()
    if not handle.exited then
      process:kill("sigterm")
    end
    process:close()
    uv.run("nowait")
  end
  return handle
end

return fixture
