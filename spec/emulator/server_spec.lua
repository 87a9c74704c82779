-- The emulator's HTTP server, routing, request log and control API. Most
-- specs run the server in this process with a fake CloudWorks state, and the
-- last group starts the real emulator as a child process.
local uv = require("luv")
local json = require("anaplan.emulator.json")
local server = require("anaplan.emulator.server")
local client = require("anaplan.emulator.client")
local auth = require("anaplan.emulator.auth")

local BASIC = "Basic " .. auth.base64_encode("dev@example.com:dev")

-- A CloudWorks state that records its requests and responds from a table of
-- "METHOD /path" routes.
local function fake_state()
  local state = { handled = {}, configured = {}, outcomes = {}, resets = 0, routes = {} }
  function state:handle(request)
    self.handled[#self.handled + 1] = request
    local route = self.routes[request.method .. " " .. request.path]
    if route then
      return route(request)
    end
    return nil
  end
  function state:configure(settings)
    self.configured[#self.configured + 1] = settings
  end
  function state:set_next_outcome(id, outcome)
    self.outcomes[#self.outcomes + 1] = { id, outcome }
  end
  function state:reset()
    self.resets = self.resets + 1
  end
  return state
end

-- A raw connection, for what client.request cannot show: keep-alive,
-- interim responses, half-sent requests.
local function connect(port)
  local connection = { received = "", closed = false, socket = uv.new_tcp() }
  local connected = false
  connection.socket:connect("127.0.0.1", port, function(err)
    assert(not err, err)
    connected = true
    connection.socket:read_start(function(read_err, data)
      if read_err or not data then
        connection.closed = true
      else
        connection.received = connection.received .. data
      end
    end)
  end)
  assert(client.run_until(function() return connected end, 5), "connect timed out")

  function connection:send(data)
    self.socket:write(data)
  end
  -- Waits until the received text matches pattern, then returns the text.
  function connection:wait_for(pattern)
    client.run_until(function()
      return self.received:find(pattern) ~= nil or self.closed
    end, 5)
    return self.received
  end
  function connection:wait_closed()
    return client.run_until(function() return self.closed end, 5)
  end
  function connection:close()
    if not self.socket:is_closing() then
      self.socket:close()
    end
    uv.run("nowait")
  end
  return connection
end

describe("emulator server", function()
  local state, emulator, errors, stop_reason

  before_each(function()
    state = fake_state()
    errors, stop_reason = {}, nil
    emulator = assert(server.start({
      state = state,
      on_error = function(message) errors[#errors + 1] = message end,
      on_stop = function(reason) stop_reason = reason end,
    }))
  end)

  after_each(function()
    emulator:stop()
    uv.run("nowait")
  end)

  local function call(method, path, headers, body)
    return client.request({ port = emulator.port, method = method, path = path, headers = headers, body = body })
  end

  local function login()
    local status, _, body = call("POST", "/token/authenticate", { Authorization = BASIC })
    assert.are.equal(201, status)
    return json.decode(body).tokenInfo.tokenValue
  end

  describe("routing", function()
    it("returns HTML 404 for an unknown path", function()
      local status, headers, body = call("GET", "/nowhere")
      assert.are.equal(404, status)
      assert.matches("^text/html", headers["content-type"])
      assert.matches("^<!DOCTYPE html>", body)
    end)

    it("returns HTML 404 for an unrouted CloudWorks path", function()
      local status, headers = call("GET", "/2/0/integrations/run/abc/dump",
        { Authorization = "AnaplanAuthToken " .. login() })
      assert.are.equal(404, status)
      assert.matches("^text/html", headers["content-type"])
      assert.are.equal(1, #state.handled)
    end)

    it("rejects a CloudWorks call without a token", function()
      local status, headers, body = call("GET", "/2/0/integrations")
      assert.are.equal(401, status)
      assert.matches("^application/json", headers["content-type"])
      assert.are.equal(401, json.decode(body).status.code)
      assert.are.equal(0, #state.handled)
    end)

    it("rejects a CloudWorks call with an unknown token", function()
      local status, _, body = call("GET", "/2/0/integrations", { Authorization = "AnaplanAuthToken nope" })
      assert.are.equal(401, status)
      assert.are.equal(401, json.decode(body).status.code)
      assert.are.equal(0, #state.handled)
    end)

    it("passes a CloudWorks call with a token to the state", function()
      state.routes["POST /integrations"] = function()
        return 200, { status = { code = 200, message = "Success" }, jobs = json.array() }
      end
      local status, headers, body = call("POST", "/2/0/integrations?limit=10&name=a%20b+c",
        { Authorization = "AnaplanAuthToken " .. login() }, '{"name":"x"}')

      assert.are.equal(200, status)
      assert.matches("^application/json", headers["content-type"])
      assert.are.equal('{"jobs":[],"status":{"code":200,"message":"Success"}}', body)
      local request = state.handled[1]
      assert.are.equal("POST", request.method)
      assert.are.equal("/integrations", request.path)
      assert.are.same({ limit = "10", name = "a b c" }, request.query)
      assert.are.same({ name = "x" }, request.body)
      assert.are.equal('{"name":"x"}', request.raw_body)
      assert.is_nil(request.json_error)
      assert.are.equal("dev@example.com", request.user.email)
      assert.matches("^%x+$", request.user.id)
      assert.are.equal(32, #request.user.id)
    end)

    it("accepts a Bearer token on CloudWorks calls", function()
      state.routes["GET /integrations"] = function() return 200, { ok = true } end
      local status = call("GET", "/2/0/integrations", { Authorization = "Bearer " .. login() })
      assert.are.equal(200, status)
    end)

    it("passes json_error for a body that is not JSON", function()
      state.routes["POST /integrations"] = function() return 400, { status = { code = 400 } } end
      call("POST", "/2/0/integrations", { Authorization = "AnaplanAuthToken " .. login() }, "{oops")
      local request = state.handled[1]
      assert.is_nil(request.body)
      assert.are.equal("{oops", request.raw_body)
      assert.is_string(request.json_error)
    end)

    it("sends a string body with the state's Content-Type", function()
      state.routes["GET /dump"] = function()
        return 200, "a,b\n1,2\n", { ["Content-Type"] = "text/csv" }
      end
      local status, headers, body = call("GET", "/2/0/dump", { Authorization = "AnaplanAuthToken " .. login() })
      assert.are.equal(200, status)
      assert.are.equal("text/csv", headers["content-type"])
      assert.are.equal("a,b\n1,2\n", body)
    end)

    it("returns 500 when the state raises", function()
      state.routes["GET /boom"] = function() error("state bug") end
      local token = login()

      local status, _, body = call("GET", "/2/0/boom", { Authorization = "AnaplanAuthToken " .. token })
      assert.are.equal(500, status)
      assert.are.equal(500, json.decode(body).status.code)
      assert.matches("state bug", errors[1])
      assert.are.equal(404, (call("GET", "/2/0/other", { Authorization = "AnaplanAuthToken " .. token })))
    end)
  end)

  describe("HTTP", function()
    it("serves two requests on one keep-alive connection", function()
      local connection = connect(emulator.port)
      connection:send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
      connection:wait_for("</html>\n$")
      connection:send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
      local text = connection:wait_for("</html>\n.*</html>\n$")
      connection:close()

      local _, responses = text:gsub("HTTP/1%.1 404 Not Found", "")
      assert.are.equal(2, responses)
      assert.is_false(connection.closed)
      assert.matches("Connection: keep%-alive", text)
    end)

    it("responds to pipelined requests in order", function()
      local connection = connect(emulator.port)
      connection:send("POST /__emulator/faults HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
        .. "GET /__emulator/requests HTTP/1.1\r\n\r\n")
      local text = connection:wait_for('"requests"')
      connection:close()
      assert.matches("^HTTP/1%.1 400 .*HTTP/1%.1 200 ", text)
    end)

    it("sends 100 Continue before the body", function()
      local connection = connect(emulator.port)
      connection:send("POST /__emulator/config HTTP/1.1\r\nContent-Length: 16\r\n"
        .. "Expect: 100-continue\r\n\r\n")
      local interim = connection:wait_for("\r\n\r\n")
      assert.are.equal("HTTP/1.1 100 Continue\r\n\r\n", interim)

      connection:send('{"page_cap":25}\n')
      local text = connection:wait_for('"code":200')
      connection:close()
      assert.matches("HTTP/1%.1 200 OK", text)
      assert.are.equal(25, state.configured[1].page_cap)
    end)

    it("closes after Connection: close", function()
      local connection = connect(emulator.port)
      connection:send("GET /a HTTP/1.1\r\nConnection: close\r\n\r\n")
      assert.is_true(connection:wait_closed())
      connection:close()
      assert.matches("Connection: close", connection.received)
    end)

    it("returns 411 for a chunked body", function()
      local connection = connect(emulator.port)
      connection:send("POST /2/0/integrations HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
      local text = connection:wait_for("}$")
      connection:close()
      assert.matches("^HTTP/1%.1 411 ", text)
    end)

    it("returns 413 for a body over 16 MiB", function()
      local connection = connect(emulator.port)
      connection:send(string.format("POST /2/0/integrations HTTP/1.1\r\nContent-Length: %d\r\n"
        .. "Expect: 100-continue\r\n\r\n", server.MAX_BODY + 1))
      local text = connection:wait_for("}$")
      connection:close()
      assert.matches("^HTTP/1%.1 413 ", text)
      assert.is_nil(text:find("100 Continue", 1, true))
    end)

    it("reads a body sent in many pieces", function()
      local body = json.encode({ page_cap = 7, run_duration = 0.5 })
      local connection = connect(emulator.port)
      connection:send("POST /__emulator/config HTTP/1.1\r\nContent-Length: " .. #body .. "\r\n\r\n")
      for i = 1, #body do
        connection:send(body:sub(i, i))
      end
      connection:wait_for('"code":200')
      connection:close()
      assert.are.equal(7, state.configured[1].page_cap)
      assert.are.equal(0.5, state.configured[1].run_duration)
    end)

    it("returns 400 for a malformed request line", function()
      local connection = connect(emulator.port)
      connection:send("GARBAGE\r\n\r\n")
      local text = connection:wait_for("}$")
      connection:close()
      assert.matches("^HTTP/1%.1 400 ", text)
    end)

    it("sends Content-Length except on 204", function()
      local token = login()
      local responses = {
        { call("GET", "/nowhere") },
        { call("GET", "/2/0/integrations") },
        { call("GET", "/token/validate", { Authorization = "AnaplanAuthToken " .. token }) },
        { call("GET", "/__emulator/requests") },
      }
      for _, response in ipairs(responses) do
        assert.are.equal(#response[3], tonumber(response[2]["content-length"]))
      end
      local status, headers = call("POST", "/token/logout", { Authorization = "AnaplanAuthToken " .. token })
      assert.are.equal(204, status)
      assert.is_nil(headers["content-length"])
    end)
  end)

  describe("request log", function()
    local function requests()
      local status, _, body = call("GET", "/__emulator/requests")
      assert.are.equal(200, status)
      return json.decode(body).requests
    end

    it("records method, path, raw query and body in order", function()
      call("GET", "/2/0/integrations?limit=5&offset=0")
      call("POST", "/nowhere", nil, "plain text")
      local log = requests()
      assert.are.equal(2, #log)
      assert.are.equal("GET", log[1].method)
      assert.are.equal("/2/0/integrations", log[1].path)
      assert.are.equal("limit=5&offset=0", log[1].query)
      assert.are.equal("", log[1].body)
      assert.are.equal("/nowhere", log[2].path)
      assert.are.equal("", log[2].query)
      assert.are.equal("plain text", log[2].body)
      assert.is_nil(log[1].fault)
    end)

    it("masks the credential part of Authorization", function()
      local token = login()
      call("GET", "/2/0/integrations", { Authorization = "AnaplanAuthToken " .. token })
      local log = requests()
      assert.are.equal("Basic ***", log[1].headers.authorization)
      assert.are.equal("AnaplanAuthToken ***", log[2].headers.authorization)
      local _, _, text = call("GET", "/__emulator/requests")
      assert.is_nil(text:find(token, 1, true))
    end)

    it("masks secret fields in a JSON body at any depth", function()
      local body = json.encode({
        type = "AzureBlob",
        body = { name = "c", sasToken = "sv=secret-sas", password = "pw-secret" },
        list = { { secretAccessKey = "aws-secret" } },
        serviceAccountKey = { private_key = "-----BEGIN PRIVATE KEY-----" },
        privateKey = "pk-secret", encodedSignedData = "sig-secret", clientSecret = "cs-secret",
      })
      call("POST", "/2/0/integrations/connections", nil, body)
      local logged = requests()[1].body

      for _, secret in ipairs({ "secret-sas", "pw-secret", "aws-secret", "BEGIN PRIVATE", "pk-secret",
        "sig-secret", "cs-secret" }) do
        assert.is_nil(logged:find(secret, 1, true), secret)
      end
      local decoded = json.decode(logged)
      assert.are.equal("***", decoded.body.sasToken)
      assert.are.equal("***", decoded.serviceAccountKey)
      assert.are.equal("***", decoded.list[1].secretAccessKey)
      assert.are.equal("c", decoded.body.name)
    end)

    it("keeps a body without secrets byte for byte", function()
      local body = '{ "zeta": [],\n  "alpha" : 1.50, "name":"caf\\u00e9" }'
      call("POST", "/2/0/integrations", nil, body)
      assert.are.equal(body, requests()[1].body)
    end)

    it("masks a non-JSON body that names a secret field", function()
      call("POST", "/2/0/integrations/connections", nil, '{"sasToken": "sv=leak"')
      assert.are.equal("***", requests()[1].body)
    end)

    it("leaves control requests out", function()
      call("GET", "/nowhere")
      call("POST", "/__emulator/config", nil, "{}")
      local log = requests()
      assert.are.equal(1, #log)
      assert.are.equal("/nowhere", log[1].path)
    end)

    it("clears on DELETE", function()
      call("GET", "/nowhere")
      assert.are.equal(200, (call("DELETE", "/__emulator/requests")))
      assert.are.same({}, requests())
    end)
  end)

  describe("control API", function()
    it("passes config changes to the state", function()
      local status, _, body = call("POST", "/__emulator/config", nil,
        '{"page_cap": 3, "run_duration": 0.25, "token_ttl": 60}')
      assert.are.equal(200, status)
      assert.are.same({ page_cap = 3, run_duration = 0.25 }, state.configured[1])
      assert.are.same({ page_cap = 3, run_duration = 0.25, token_ttl = 60 }, json.decode(body).config)
    end)

    it("rejects an unknown config field by name", function()
      local status, _, body = call("POST", "/__emulator/config", nil, '{"page_size": 3}')
      assert.are.equal(400, status)
      assert.matches("page_size", json.decode(body).status.message)
      assert.are.equal(0, #state.configured)
    end)

    it("rejects a config value of the wrong type", function()
      local status, _, body = call("POST", "/__emulator/config", nil, '{"page_cap": "3"}')
      assert.are.equal(400, status)
      assert.matches("page_cap must be a positive integer", json.decode(body).status.message)
    end)

    it("rejects a body that is not a JSON object", function()
      local status = call("POST", "/__emulator/config", nil, "[1]")
      assert.are.equal(400, status)
    end)

    it("queues a run outcome in the state", function()
      local id = string.rep("ab", 16)
      local status = call("POST", "/__emulator/outcome", nil,
        json.encode({ integrationId = id, outcome = "partial_failure" }))
      assert.are.equal(200, status)
      assert.are.same({ { id, "partial_failure" } }, state.outcomes)
    end)

    it("reports an outcome the state rejects", function()
      function state:set_next_outcome()
        return nil, "integration id is unknown"
      end
      local status, _, body = call("POST", "/__emulator/outcome", nil,
        json.encode({ integrationId = string.rep("ab", 16), outcome = "failure" }))
      assert.are.equal(400, status)
      assert.matches("integration id is unknown", json.decode(body).status.message)
    end)

    it("rejects an unknown outcome", function()
      local status, _, body = call("POST", "/__emulator/outcome", nil,
        json.encode({ integrationId = string.rep("ab", 16), outcome = "maybe" }))
      assert.are.equal(400, status)
      assert.matches("outcome must be", json.decode(body).status.message)
      assert.are.same({}, state.outcomes)
    end)

    it("reset forgets state, log, faults and tokens", function()
      local token = login()
      call("POST", "/__emulator/faults", nil, '{"kind":"status","status":503,"path":"/nowhere"}')
      assert.are.equal(200, (call("POST", "/__emulator/reset")))

      assert.are.equal(1, state.resets)
      local _, _, body = call("GET", "/__emulator/requests")
      assert.are.same({}, json.decode(body).requests)
      assert.are.equal(404, (call("GET", "/nowhere")))
      assert.are.equal(401, (call("GET", "/2/0/integrations", { Authorization = "AnaplanAuthToken " .. token })))
    end)

    it("returns JSON 404 for an unknown control path", function()
      local status, headers = call("GET", "/__emulator/nothing")
      assert.are.equal(404, status)
      assert.matches("^application/json", headers["content-type"])
    end)

    it("stops the server after shutdown", function()
      assert.are.equal(200, (call("POST", "/__emulator/shutdown")))
      client.run_until(function() return stop_reason ~= nil end, 2)
      assert.matches("shutdown", stop_reason)
      local status, message = call("GET", "/nowhere")
      assert.is_nil(status)
      assert.matches("cannot connect", message)
    end)
  end)
end)

describe("loopback only", function()
  it("server.start rejects a non-loopback host", function()
    local emulator, message = server.start({ host = "0.0.0.0", state = fake_state() })
    assert.is_nil(emulator)
    assert.matches("not a loopback address", message)
  end)

  it("accepts addresses in 127.0.0.0/8, ::1 and localhost", function()
    assert.are.equal("127.0.0.1", server.loopback_address("localhost"))
    assert.are.equal("127.1.2.3", server.loopback_address("127.1.2.3"))
    assert.are.equal("::1", server.loopback_address("::1"))
    for _, host in ipairs({ "0.0.0.0", "10.0.0.1", "128.0.0.1", "127.0.0.256", "::", "example.com" }) do
      assert.is_nil(server.loopback_address(host), host)
    end
  end)

  it("the command exits 2 for a non-loopback host", function()
    local pipe = io.popen("lua5.4 bin/anaplan-cw-emulator --host 0.0.0.0 --max-lifetime 5 2>&1")
    local output = pipe:read("a")
    local _, _, code = pipe:close()
    assert.are.equal(2, code)
    assert.matches("not a loopback address", output)
    assert.is_nil(output:find("http://", 1, true))
  end)

  it("the client refuses a non-loopback host", function()
    local status, message = client.request({ host = "192.0.2.1", port = 80, path = "/" })
    assert.is_nil(status)
    assert.matches("not a loopback address", message)
  end)
end)

describe("command-line options", function()
  local main = require("anaplan.emulator.main")

  it("parses values after a space or an =", function()
    local settings = assert(main.parse_arguments({ "--port", "8123", "--page-cap=5", "--run-duration", "0.5",
      "--user", "a@example.com", "--quiet" }))
    assert.are.equal(8123, settings.port)
    assert.are.equal(5, settings.page_cap)
    assert.are.equal(0.5, settings.run_duration)
    assert.are.equal("a@example.com", settings.user_email)
    assert.is_true(settings.quiet)
    assert.are.equal("127.0.0.1", settings.host)
    assert.are.equal(0, settings.max_lifetime)
  end)

  it("rejects a bad value naming the option", function()
    local settings, message = main.parse_arguments({ "--port", "70000" })
    assert.is_nil(settings)
    assert.are.equal('--port must be an integer from 0 to 65535, got "70000"', message)
  end)

  it("rejects an option without its value", function()
    local settings, message = main.parse_arguments({ "--token-ttl" })
    assert.is_nil(settings)
    assert.matches("^%-%-token%-ttl needs a value", message)
  end)

  it("rejects an unknown option", function()
    local settings, message = main.parse_arguments({ "--pagecap", "3" })
    assert.is_nil(settings)
    assert.matches('unknown option "%-%-pagecap"', message)
  end)

  it("rejects --password with --password-stdin", function()
    local settings, message = main.parse_arguments({ "--password", "x", "--password-stdin" })
    assert.is_nil(settings)
    assert.matches("cannot be used together", message)
  end)
end)

describe("emulator child process", function()
  local emulator_module = require("anaplan.emulator")

  it("starts, serves its URL, exits on stop", function()
    local emulator = emulator_module.start({ port = 0 })
    assert.matches("^http://127%.0%.0%.1:%d+$", emulator.base_url)
    assert.are.equal(emulator.base_url, emulator.auth_url)
    assert.are.equal(emulator.base_url .. "/2/0", emulator.cloudworks_url)
    assert.are.same({}, emulator:requests())

    emulator:stop()
    local exited, code = emulator:wait(0)
    assert.is_true(exited)
    assert.are.equal(0, code)
    assert.is_nil(uv.kill(emulator.pid, 0))
    emulator:stop()
  end)

  it("logs in with the user_email and password given", function()
    local emulator = emulator_module.start({ user_email = "jane@example.com", password = "p a:ss\nword" })
    local function login(email, password)
      return (client.request({ port = emulator.port, method = "POST", path = "/token/authenticate",
        headers = { Authorization = "Basic " .. auth.base64_encode(email .. ":" .. password) } }))
    end
    local good = login("jane@example.com", "p a:ss\nword")
    local default = login("dev@example.com", "dev")
    emulator:stop()
    assert.are.equal(201, good)
    assert.are.equal(401, default)
  end)

  it("exits by itself when max_lifetime passes", function()
    local emulator = emulator_module.start({ port = 0, max_lifetime = 1 })
    local exited, code = emulator:wait(5)
    assert.is_true(exited)
    assert.are.equal(0, code)
    emulator:stop()
  end)

  it("stops the child when the handle is collected", function()
    local emulator = emulator_module.start({ port = 0 })
    local child = emulator.child
    emulator = nil
    collectgarbage()
    collectgarbage()
    assert.is_nil(emulator)
    assert.is_true(client.run_until(function() return child.exited end, 5))
  end)

  it("stops the child when a <close> handle leaves scope", function()
    local handle
    do
      local emulator <close> = emulator_module.start({ port = 0 })
      handle = emulator
    end
    local exited, code = handle:wait(0)
    assert.is_true(exited)
    assert.are.equal(0, code)
  end)

  it("the command exits once its parent process is gone", function()
    local parent = uv.spawn("sleep", { args = { "1" } }, function() end)
    local output = uv.new_pipe(false)
    local exited, exit_code, url = false, nil, ""
    local child = uv.spawn("lua5.4", {
      args = { "bin/anaplan-cw-emulator", "--quiet", "--max-lifetime", "20", "--parent-pid", tostring(parent:get_pid()) },
      stdio = { nil, output, 2 },
    }, function(code)
      exited, exit_code = true, code
    end)
    output:read_start(function(_, data)
      url = url .. (data or "")
    end)

    local ended = client.run_until(function() return exited end, 10)
    output:close()
    parent:close()
    child:close()
    uv.run("nowait")
    assert.matches("^http://127%.0%.0%.1:%d+\n", url)
    assert.is_true(ended)
    assert.are.equal(0, exit_code)
  end)

  it("rejects an unknown start option by name", function()
    assert.has_error(function()
      emulator_module.start({ page_size = 3 })
    end, 'anaplan.emulator.start: unknown option "page_size"')
  end)

  it("drives the control API through the handle's methods", function()
    local emulator = emulator_module.start({ port = 0 })
    local function request(path, token)
      return client.request({ port = emulator.port, path = path,
        headers = token and { Authorization = "AnaplanAuthToken " .. token } or nil })
    end
    local _, _, login = client.request({ port = emulator.port, method = "POST", path = "/token/authenticate",
      headers = { Authorization = BASIC } })
    local token = json.decode(login).tokenInfo.tokenValue

    emulator:fault({ kind = "status", status = 503, path = "/2/0/integrations", count = 2 })
    local faulted = request("/2/0/integrations", token)
    emulator:clear_faults()
    local cleared = request("/2/0/integrations", token)
    local log = emulator:requests()
    emulator:clear_requests()
    local log_after_clear = emulator:requests()
    emulator:expire_tokens()
    local expired = request("/2/0/integrations", token)
    emulator:set_next_outcome(string.rep("0f", 16), "failure")
    local ok, message = pcall(emulator.set_next_outcome, emulator, "not-an-id", "failure")
    emulator:stop()

    assert.are.equal(503, faulted)
    assert.are.equal(200, cleared)
    assert.are.equal(3, #log)
    assert.are.equal("status", log[2].fault)
    assert.is_nil(log[3].fault)
    assert.are.same({}, log_after_clear)
    assert.are.equal(401, expired)
    assert.is_false(ok)
    assert.matches("integrationId must be 32 hexadecimal characters", message)
  end)

  it("passes config changes to the CloudWorks state", function()
    local emulator = emulator_module.start({ port = 0 })
    local function list_connections(token)
      local status, _, body = client.request({ port = emulator.port, path = "/2/0/integrations/connections?limit=10",
        headers = { Authorization = "AnaplanAuthToken " .. token } })
      assert.are.equal(200, status)
      return json.decode(body)
    end
    local _, _, login = client.request({ port = emulator.port, method = "POST", path = "/token/authenticate",
      headers = { Authorization = BASIC } })
    local token = json.decode(login).tokenInfo.tokenValue
    for i = 1, 3 do
      local status = client.request({ port = emulator.port, method = "POST", path = "/2/0/integrations/connections",
        headers = { Authorization = "AnaplanAuthToken " .. token, ["Content-Type"] = "application/json" },
        body = json.encode({ type = "AzureBlob", body = { name = "c" .. i, storageAccountName = "account",
          containerName = "container", sasToken = "sv=2024&sig=x", auth_method = "SAS-based" } }) })
      assert.are.equal(200, status)
    end

    emulator:configure({ page_cap = 2 })
    local page = list_connections(token)
    emulator:stop()
    assert.are.equal(2, page.meta.paging.currentPageSize)
    assert.are.equal(3, page.meta.paging.totalSize)
  end)
end)
