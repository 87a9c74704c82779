-- A small blocking HTTP/1.1 client on luv, for talking to an emulator on a
-- loopback address: one request per connection, and the whole response read.
--
-- It runs the default luv loop until its request ends, so it cannot be used
-- from inside a luv callback. It raises an error there instead.
local uv = require("luv")
local server = require("anaplan.emulator.server")

local client = {}

local DEFAULT_TIMEOUT = 10

-- Raises unless the default luv loop is idle, since a blocking call would
-- have to run it again from inside itself.
function client.check_loop_idle(function_name)
  if uv.loop_mode() then
    error(function_name .. " blocks, so it cannot be called from inside a running luv loop", 3)
  end
end

-- Runs the default loop until done() returns true or seconds pass. Returns
-- whether done() became true.
function client.run_until(done, seconds)
  if done() then
    return true
  end
  local expired = false
  -- The loop's clock is only refreshed while the loop runs. After a long
  -- pause between blocking calls it is stale, and a timer started from it
  -- would fire at once.
  uv.update_time()
  local timer = uv.new_timer()
  timer:start(math.floor(seconds * 1000), 0, function()
    expired = true
  end)
  while not done() and not expired do
    uv.run("once")
  end
  timer:close()
  uv.run("nowait")
  return done()
end

-- Returns status, headers (lowercase names) and body parsed from a complete
-- response, or nil when the response is not complete yet. Raises a message
-- when the response cannot be parsed.
local function parse_response(data, eof, method)
  local head_end = data:find("\r\n\r\n", 1, true)
  if not head_end then
    return nil
  end
  local status_line, header_block = data:sub(1, head_end - 1):match("^([^\r\n]*)\r?\n?(.*)$")
  local status = tonumber(status_line:match("^HTTP/1%.[01] (%d%d%d)"))
  if not status then
    error("malformed status line " .. string.format("%q", status_line), 0)
  end

  -- An interim 1xx response precedes the final one.
  if status >= 100 and status < 200 then
    return parse_response(data:sub(head_end + 4), eof, method)
  end

  local headers = {}
  for line in (header_block .. "\r\n"):gmatch("(.-)\r\n") do
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    if name then
      headers[name:lower()] = value
    end
  end

  local body = data:sub(head_end + 4)
  if method == "HEAD" or status == 204 or status == 304 then
    return status, headers, ""
  end
  local length = tonumber(headers["content-length"])
  if length then
    if #body < length then
      if eof then
        error(string.format("connection closed after %d of %d body bytes", #body, length), 0)
      end
      return nil
    end
    return status, headers, body:sub(1, length)
  end
  if eof then
    return status, headers, body
  end
  return nil
end

-- Sends one request and returns status, headers (lowercase names) and body,
-- or nil and a message. options: host (a loopback address), port, method,
-- path (with any query string), headers (name to value), body (a string),
-- timeout (seconds, 10 by default).
function client.request(options)
  client.check_loop_idle("client.request")
  local host, message = server.loopback_address(options.host or "127.0.0.1")
  if not host then
    return nil, message
  end
  local method = options.method or "GET"
  local body = options.body or ""

  local lines = { string.format("%s %s HTTP/1.1", method, options.path or "/") }
  lines[#lines + 1] = "Host: " .. server.base_url(host, options.port):sub(#"http://" + 1)
  for name, value in pairs(options.headers or {}) do
    lines[#lines + 1] = name .. ": " .. value
  end
  lines[#lines + 1] = "Content-Length: " .. #body
  lines[#lines + 1] = "Connection: close"
  local request_text = table.concat(lines, "\r\n") .. "\r\n\r\n" .. body

  local chunks = {}
  local result
  local socket = uv.new_tcp()
  local function finish(...)
    if not result then
      result = table.pack(...)
    end
  end
  local function read_response(err, data)
    if err then
      finish(nil, "reading the response failed: " .. err)
      return
    end
    if data then
      chunks[#chunks + 1] = data
    end
    local ok, status, headers, response_body = pcall(parse_response, table.concat(chunks), data == nil, method)
    if not ok then
      finish(nil, status)
    elseif status then
      finish(status, headers, response_body)
    elseif data == nil then
      finish(nil, "connection closed before a response")
    end
  end

  socket:connect(host, options.port, function(connect_err)
    if connect_err then
      finish(nil, string.format("cannot connect to %s: %s", server.base_url(host, options.port), connect_err))
      return
    end
    socket:write(request_text)
    socket:read_start(read_response)
  end)

  local timeout = options.timeout or DEFAULT_TIMEOUT
  local done = client.run_until(function()
    return result ~= nil
  end, timeout)
  if not socket:is_closing() then
    socket:close()
  end
  uv.run("nowait")
  if not done then
    return nil, string.format("%s %s timed out after %s s", method, options.path or "/", tostring(timeout))
  end
  return table.unpack(result, 1, result.n)
end

return client
