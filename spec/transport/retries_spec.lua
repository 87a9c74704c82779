-- Retries: which failures are retried for a read, an idempotent write and a
-- create, counted in the emulator's request log; Retry-After and backoff
-- waits; timeouts; connection failures.
local core = require("anaplan.core")
local emulator_hooks = require("helpers.emulator")
local transport = require("helpers.transport")
local uv = require("luv")

local USER_EMAIL = "dev@example.com"
local PASSWORD = "retries-spec-password"
local CONNECTION_ID = "0123456789abcdef0123456789abcdef"
local TIMEOUT = 0.4

local catch = transport.catch

local function seconds_since(start)
  return (uv.hrtime() - start) / 1e9
end

-- Returns a port on 127.0.0.1 that nothing listens on.
local function closed_port()
  local server = uv.new_tcp()
  assert(server:bind("127.0.0.1", 0))
  local port = server:getsockname().port
  server:close()
  uv.run("nowait")
  return port
end

-- The three shapes of call the retry policy tells apart.
local CALLS = {
  read = { method = "GET", path = "/integrations/connections" },
  idempotent_write = { method = "PUT", path = "/integrations/connections/" .. CONNECTION_ID, body = "{}" },
  create = { method = "POST", path = "/integrations/connections", body = "{}" },
}

-- Each fault kind, the error it ends with, and how many requests reach the
-- emulator for a read or an idempotent write (a create is sent once for
-- every kind). Each fault is injected count times, so every attempt meets it.
--
-- "close" on a kept-alive connection: curl itself sends the request again,
-- once, on a new connection when a reused one closes before any response
-- byte (it cannot tell this from a server that dropped an idle connection).
-- That send counts against retry_count like the session's own retries, so
-- an idempotent call still meets the fault 1 + retry_count times. A POST
-- always opens a new connection, so curl never re-sends it.
local FAULTS = {
  { name = "503", fault = { kind = "status", status = 503 }, error_kind = "http", status = 503, sent = 3 },
  { name = "502", fault = { kind = "status", status = 502 }, error_kind = "http", status = 502, sent = 3 },
  { name = "504", fault = { kind = "status", status = 504 }, error_kind = "http", status = 504, sent = 3 },
  { name = "500", fault = { kind = "status", status = 500 }, error_kind = "http", status = 500, sent = 1 },
  { name = "delay", fault = { kind = "delay", seconds = 1.5 }, error_kind = "timeout", sent = 3 },
  { name = "close", fault = { kind = "close" }, error_kind = "network", sent = 3 },
  { name = "close_mid_body", fault = { kind = "close_mid_body" }, error_kind = "network", sent = 3 },
  { name = "bad_json", fault = { kind = "bad_json" }, error_kind = "http", status = 200, sent = 1 },
}

describe("session retries", function()
  local emulator

  emulator_hooks.share({ port = 0, password = PASSWORD, max_lifetime = 600 }, function(started)
    emulator = started
  end)

  -- Returns a session and the list its logger fills with "level message".
  local function new_session(options)
    local lines = {}
    local settings = { user_email = USER_EMAIL, password = PASSWORD, auth_url = emulator.auth_url,
      cloudworks_url = emulator.cloudworks_url, backoff = 0.01, timeout = TIMEOUT, log_level = "debug",
      logger = function(level, message)
        lines[#lines + 1] = level .. " " .. message
      end }
    for key, value in pairs(options or {}) do
      settings[key] = value
    end
    return core.session(settings), lines
  end

  -- Logs the session in, then clears the log so that only the call under
  -- test is counted.
  local function logged_in_session(options)
    local session, lines = new_session(options)
    session:request("GET", "/integrations/connections")
    emulator:clear_requests()
    return session, lines
  end

  local function count_requests(method, path)
    local count = 0
    for _, request in ipairs(emulator:requests()) do
      if request.method == method and request.path == "/2/0" .. path then
        count = count + 1
      end
    end
    return count
  end

  local function warnings(lines)
    local found = {}
    for _, line in ipairs(lines) do
      if line:match("^warn ") then
        found[#found + 1] = line
      end
    end
    return found
  end

  for _, case in ipairs(FAULTS) do
    for call_name, call in pairs(CALLS) do
      local expected = call.method == "POST" and 1 or case.sent
      it(string.format("%s fault on a %s: sent %d time%s", case.name, call_name, expected,
        expected > 1 and "s" or ""), function()
        local session = logged_in_session()
        local fault = { method = call.method, path = "/2/0" .. call.path, count = case.sent }
        for key, value in pairs(case.fault) do
          fault[key] = value
        end
        emulator:fault(fault)

        local err = catch(session.request, session, call.method, call.path, call.body)
        assert.are.equal(case.error_kind, err.kind, err.message)
        assert.are.equal(case.status, err.status)
        assert.are.equal(call.method, err.method)
        assert.are.equal(call.path, err.path)
        assert.are.equal("request", err.operation)
        assert.are.equal(expected, count_requests(call.method, call.path))
        session:close()
      end)
    end
  end

  it("succeeds on a read after one transient fault", function()
    local session, lines = logged_in_session()
    emulator:fault({ method = "GET", path = "/2/0/integrations/connections", count = 1,
      kind = "close_mid_body" })
    local response = session:request("GET", "/integrations/connections")
    assert.are.equal(200, response.status.code)
    assert.are.equal(2, count_requests("GET", "/integrations/connections"))
    local warned = warnings(lines)
    assert.are.equal(1, #warned)
    assert.matches("^warn retrying GET /integrations/connections after a connection failure %(.+%) "
      .. "%(attempt 2 of 3%) in 0.01 s$", warned[1])
    session:close()
  end)

  it("logs each retry with its attempt number", function()
    local session, lines = logged_in_session()
    emulator:fault({ method = "GET", path = "/2/0/integrations/connections", count = 3, kind = "status",
      status = 503 })
    catch(session.request, session, "GET", "/integrations/connections")
    assert.are.same({
      "warn retrying GET /integrations/connections after 503 (attempt 2 of 3) in 0.01 s",
      "warn retrying GET /integrations/connections after 503 (attempt 3 of 3) in 0.02 s",
    }, warnings(lines))
    session:close()
  end)

  describe("a reused connection that closes", function()
    it("counts curl's own re-send as a retry", function()
      local session, lines = logged_in_session()
      emulator:fault({ method = "GET", path = "/2/0/integrations/connections", count = 1, kind = "close" })
      local response = session:request("GET", "/integrations/connections")
      assert.are.equal(200, response.status.code)
      assert.are.equal(2, count_requests("GET", "/integrations/connections"))
      assert.are.same({ "warn retried GET /integrations/connections at once on a new connection because "
        .. "the reused one closed without a response (attempt 2 of 3)" }, warnings(lines))
      session:close()
    end)

    it("is sent once when retry_count is 0", function()
      local session, lines = logged_in_session({ retry_count = 0 })
      emulator:fault({ method = "GET", path = "/2/0/integrations/connections", count = 2, kind = "close" })
      local err = catch(session.request, session, "GET", "/integrations/connections")
      assert.are.equal("network", err.kind)
      assert.are.equal("request (GET /integrations/connections) failed: the server closed the connection "
        .. "without a response", err.message)
      assert.are.equal(1, count_requests("GET", "/integrations/connections"))
      assert.are.same({}, warnings(lines))
      session:close()
    end)

    it("is sent retry_count + 1 times in all", function()
      local session, lines = logged_in_session({ retry_count = 3 })
      emulator:fault({ method = "PUT", path = "/2/0" .. CALLS.idempotent_write.path, count = 10, kind = "close" })
      local err = catch(session.request, session, "PUT", CALLS.idempotent_write.path, "{}")
      assert.are.equal("network", err.kind)
      assert.are.equal(4, count_requests("PUT", CALLS.idempotent_write.path))
      local warned = warnings(lines)
      assert.are.equal(3, #warned)
      assert.matches("%(attempt 2 of 4%)$", warned[1])
      assert.matches("%(attempt 3 of 4%) in 0.01 s$", warned[2])
      assert.matches("%(attempt 4 of 4%)", warned[3])
      session:close()
    end)
  end)

  it("honours retry_count", function()
    local session = logged_in_session({ retry_count = 0 })
    emulator:fault({ method = "GET", path = "/2/0/integrations/connections", count = 3, kind = "status",
      status = 503 })
    local err = catch(session.request, session, "GET", "/integrations/connections")
    assert.are.equal(503, err.status)
    assert.are.equal(1, count_requests("GET", "/integrations/connections"))
    session:close()
  end)

  it("waits backoff times backoff_factor to the n", function()
    local session, lines = logged_in_session({ backoff = 0.2, backoff_factor = 3 })
    emulator:fault({ method = "GET", path = "/2/0/integrations/connections", count = 3, kind = "status",
      status = 503 })
    local start = uv.hrtime()
    catch(session.request, session, "GET", "/integrations/connections")
    assert.is_true(seconds_since(start) >= 0.75)
    local warned = warnings(lines)
    assert.matches("in 0.2 s$", warned[1])
    assert.matches("in 0.6 s$", warned[2])
    session:close()
  end)

  describe("429", function()
    it("is retried for a create too", function()
      local session = logged_in_session()
      emulator:fault({ method = "POST", path = "/2/0/integrations/connections", count = 3, kind = "status",
        status = 429 })
      local err = catch(session.request, session, "POST", "/integrations/connections", "{}")
      assert.are.equal("http", err.kind)
      assert.are.equal(429, err.status)
      assert.are.equal(3, count_requests("POST", "/integrations/connections"))
      session:close()
    end)

    it("waits the seconds of Retry-After", function()
      local session, lines = logged_in_session()
      emulator:fault({ method = "GET", path = "/2/0/integrations/connections", count = 1, kind = "status",
        status = 429, retry_after = "1" })
      local start = uv.hrtime()
      assert.are.equal(200, session:request("GET", "/integrations/connections").status.code)
      assert.is_true(seconds_since(start) >= 0.95)
      assert.are.same({ "warn retrying GET /integrations/connections after 429 (attempt 2 of 3) in 1 s" },
        warnings(lines))
      session:close()
    end)

    it("waits until the HTTP date of Retry-After", function()
      local session = logged_in_session()
      emulator:fault({ method = "GET", path = "/2/0/integrations/connections", count = 1, kind = "status",
        status = 429, retry_after = os.date("!%a, %d %b %Y %H:%M:%S GMT", os.time() + 2) })
      local start = uv.hrtime()
      assert.are.equal(200, session:request("GET", "/integrations/connections").status.code)
      -- The date has whole seconds, so the wait is between 1 and 2 s.
      assert.is_true(seconds_since(start) >= 0.95)
      assert.is_true(seconds_since(start) < 3)
      session:close()
    end)
  end)

  describe("timeout", function()
    it("names the operation and the limit", function()
      local session = logged_in_session()
      emulator:fault({ method = "POST", path = "/2/0/integrations/connections", count = 1, kind = "delay",
        seconds = 1.5 })
      local start = uv.hrtime()
      local err = catch(session.request, session, "POST", "/integrations/connections", "{}")
      assert.are.equal("timeout", err.kind)
      assert.are.equal("request (POST /integrations/connections) timed out after 0.4 s", err.message)
      assert.is_true(seconds_since(start) < 1.4)
      assert.are.equal(1, count_requests("POST", "/integrations/connections"))
      session:close()
    end)
  end)

  describe("connection failure", function()
    it("retries a create that never reached the server", function()
      local port = closed_port()
      local session, lines = new_session({ cloudworks_url = "http://127.0.0.1:" .. port .. "/2/0" })
      local err = catch(session.request, session, "POST", "/integrations/connections", "{}")
      assert.are.equal("network", err.kind)
      assert.matches("^request %(POST /integrations/connections%) failed: ", err.message)
      local warned = warnings(lines)
      assert.are.equal(2, #warned)
      assert.matches("^warn retrying POST /integrations/connections after a connection failure", warned[1])
      session:close()
    end)

    describe("in the TLS handshake", function()
      local fixture

      transport.share_fixture_server(function(started)
        fixture = started
      end)

      -- Returns how many connections the fixture's hang-up listener closed.
      local function hangups()
        local counter = core.session({ token = "retries-spec-token", auth_url = fixture.url,
          cloudworks_url = fixture.url })
        local count = counter:request("GET", "/hangups").hangups
        counter:close()
        return count
      end

      for _, call_name in ipairs({ "read", "create" }) do
        local call = CALLS[call_name]
        it("retries a " .. call_name .. " that was never sent", function()
          local lines = {}
          local session = core.session({ token = "retries-spec-token", auth_url = fixture.url,
            cloudworks_url = fixture.hangup_url .. "/2/0", backoff = 0.01, timeout = 5, log_level = "debug",
            logger = function(level, message)
              lines[#lines + 1] = level .. " " .. message
            end })
          local before = hangups()

          local err = catch(session.request, session, call.method, call.path, call.body)
          assert.are.equal("network", err.kind)
          assert.are.equal(3, hangups() - before)
          local warned = warnings(lines)
          assert.are.equal(2, #warned)
          assert.matches("^warn retrying " .. call.method .. " " .. call.path
            .. " after a connection failure %(.+%) %(attempt 2 of 3%) in 0.01 s$", warned[1])
          session:close()
        end)
      end
    end)

    it("raises network when the login cannot connect", function()
      local port = closed_port()
      local session = new_session({ auth_url = "http://127.0.0.1:" .. port })
      local err = catch(session.request, session, "GET", "/integrations/connections")
      assert.are.equal("network", err.kind)
      assert.matches("^login %(POST /token/authenticate%) failed: ", err.message)
      assert.are.same({}, emulator:requests())
      session:close()
    end)
  end)
end)
