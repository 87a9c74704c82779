-- Login on first use, the headers of each request, keep-alive, static
-- tokens, re-login after 401, refresh ahead of expiry and close().
local core = require("anaplan.core")
local cjson = require("cjson")
local emulator_hooks = require("helpers.emulator")
local transport = require("helpers.transport")
local emulator_client = require("anaplan.emulator.client")
local emulator_auth = require("anaplan.emulator.auth")
local uv = require("luv")

local USER_EMAIL = "dev@example.com"
local PASSWORD = "login-spec-password"
local CONNECTIONS = "/2/0/integrations/connections"

local catch = transport.catch

-- Returns "METHOD path" for each request the emulator received.
local function request_lines(emulator)
  local lines = {}
  for _, request in ipairs(emulator:requests()) do
    lines[#lines + 1] = request.method .. " " .. request.path
  end
  return lines
end

-- Logs in over plain HTTP, outside the SDK, and returns the token value.
local function obtain_token(emulator)
  local status, _, body = emulator_client.request({ port = emulator.port, method = "POST",
    path = "/token/authenticate",
    headers = { Authorization = "Basic " .. emulator_auth.base64_encode(USER_EMAIL .. ":" .. PASSWORD) } })
  assert.are.equal(201, status)
  return cjson.decode(body).tokenInfo.tokenValue
end

-- Returns the sorted local ports of this machine's established TCP
-- connections to port on 127.0.0.1, read from /proc/net/tcp.
local function client_ports(port)
  local ports = {}
  local file = assert(io.open("/proc/net/tcp", "r"))
  for line in file:lines() do
    local local_port, remote_port, state = line:match("^%s*%d+: %x+:(%x+) %x+:(%x+) (%x+)")
    if remote_port and tonumber(remote_port, 16) == port and state == "01" then
      ports[#ports + 1] = tonumber(local_port, 16)
    end
  end
  file:close()
  table.sort(ports)
  return ports
end

describe("session login", function()
  local emulator

  emulator_hooks.share({ port = 0, password = PASSWORD, max_lifetime = 600 }, function(started)
    emulator = started
  end)

  before_each(function()
    emulator:configure({ token_ttl = 2100 })
  end)

  local function new_session(options)
    local settings = { user_email = USER_EMAIL, password = PASSWORD, auth_url = emulator.auth_url,
      cloudworks_url = emulator.cloudworks_url, backoff = 0.01, timeout = 5 }
    for key, value in pairs(options or {}) do
      settings[key] = value
    end
    if settings.token then
      settings.user_email, settings.password = nil, nil
    end
    return core.session(settings)
  end

  it("logs in on first use", function()
    local session = new_session()
    assert.are.same({}, emulator:requests())

    local response = session:request("GET", "/integrations/connections")
    assert.are.equal(200, response.status.code)

    local requests = emulator:requests()
    assert.are.equal(2, #requests)
    assert.are.equal("POST", requests[1].method)
    assert.are.equal("/token/authenticate", requests[1].path)
    assert.are.equal("Basic ***", requests[1].headers.authorization)
    assert.are.equal("GET", requests[2].method)
    assert.are.equal(CONNECTIONS, requests[2].path)
    assert.are.equal("AnaplanAuthToken ***", requests[2].headers.authorization)
    session:close()
  end)

  it("logs in once for many calls", function()
    local session = new_session()
    for _ = 1, 3 do
      session:request("GET", "/integrations/connections")
    end
    assert.are.same({ "POST /token/authenticate", "GET " .. CONNECTIONS, "GET " .. CONNECTIONS,
      "GET " .. CONNECTIONS }, request_lines(emulator))
    session:close()
  end)

  it("sends the JSON and client headers", function()
    local session = new_session()
    session:request("GET", "/integrations/connections?limit=5")
    pcall(session.request, session, "POST", "/integrations/connections", "{}")

    local requests = emulator:requests()
    local get, post = requests[2], requests[3]
    assert.are.equal("limit=5", get.query)
    assert.are.equal("application/json", get.headers.accept)
    assert.are.equal("anaplan-sdk-lua/" .. "0.1.0", get.headers["user-agent"])
    assert.is_nil(get.headers["content-type"])
    assert.is_nil(get.headers.expect)
    assert.are.equal("application/json", post.headers["content-type"])
    assert.is_nil(post.headers.expect)
    assert.are.equal("{}", post.body)
    session:close()
  end)

  it("keeps the connection open between calls", function()
    local session = new_session()
    session:request("GET", "/integrations/connections")
    local before = client_ports(emulator.port)
    assert.are.equal(1, #before)

    session:request("GET", "/integrations/connections")
    session:request("GET", "/integrations/connections")
    assert.are.same(before, client_ports(emulator.port))
    session:close()
  end)

  it("raises auth for a wrong password without quoting it", function()
    local session = new_session({ password = "wrong-password-value" })
    local err = catch(session.request, session, "GET", "/integrations/connections")
    assert.are.equal("auth", err.kind)
    assert.are.equal(401, err.status)
    assert.matches("^login failed for user_email dev@example.com: HTTP 401", err.message)
    assert.is_nil(err.message:find("wrong-password-value", 1, true))
    assert.is_nil(tostring(err):find("wrong-password-value", 1, true))
    assert.are.same({ "POST /token/authenticate" }, request_lines(emulator))
    session:close()
  end)

  describe("static token", function()
    it("is sent as it is, with no login", function()
      local token = obtain_token(emulator)
      emulator:clear_requests()
      local session = new_session({ token = token })
      session:request("GET", "/integrations/connections")
      assert.are.same({ "GET " .. CONNECTIONS }, request_lines(emulator))
      assert.are.equal("AnaplanAuthToken ***", emulator:requests()[1].headers.authorization)
      assert.are.equal("token", session:token_info().login)
      session:close()
    end)

    it("raises auth at once when rejected", function()
      local token = obtain_token(emulator)
      emulator:clear_requests()
      local session = new_session({ token = token })
      emulator:expire_tokens()

      local err = catch(session.request, session, "GET", "/integrations/connections")
      assert.are.equal("auth", err.kind)
      assert.are.equal(401, err.status)
      assert.matches("request (GET /integrations/connections) failed: the token given to the client "
        .. "was rejected (401); it may have expired", err.message, 1, true)
      assert.is_nil(err.message:find(token, 1, true))
      assert.are.same({ "GET " .. CONNECTIONS }, request_lines(emulator))
    end)

    it("is not logged out by close", function()
      local token = obtain_token(emulator)
      emulator:clear_requests()
      local session = new_session({ token = token })
      session:request("GET", "/integrations/connections")
      session:close()
      assert.are.same({ "GET " .. CONNECTIONS }, request_lines(emulator))
    end)
  end)

  describe("after a 401", function()
    it("logs in again and replays the call", function()
      local session = new_session()
      session:request("GET", "/integrations/connections")
      emulator:expire_tokens()

      local response = session:request("GET", "/integrations/connections")
      assert.are.equal(200, response.status.code)
      assert.are.same({ "POST /token/authenticate", "GET " .. CONNECTIONS, "GET " .. CONNECTIONS,
        "POST /token/authenticate", "GET " .. CONNECTIONS }, request_lines(emulator))
      session:close()
    end)

    it("raises auth when the replay draws 401 too", function()
      local session = new_session()
      session:request("GET", "/integrations/connections")
      emulator:reset()
      emulator:fault({ method = "GET", path = CONNECTIONS, count = 2, kind = "status", status = 401 })

      local err = catch(session.request, session, "GET", "/integrations/connections")
      assert.are.equal("auth", err.kind)
      assert.are.equal(401, err.status)
      assert.are.equal("GET", err.method)
      assert.are.equal("/integrations/connections", err.path)
      assert.matches("rejected (401) right after a new login", err.message, 1, true)
      assert.are.same({ "GET " .. CONNECTIONS, "POST /token/authenticate", "GET " .. CONNECTIONS },
        request_lines(emulator))
      session:close()
    end)
  end)

  describe("token expiry", function()
    it("refreshes the token ahead of expiry", function()
      emulator:configure({ token_ttl = 2 })
      local session = new_session()
      session:request("GET", "/integrations/connections")
      local first_expiry = session:token_info().expiresAt
      assert.are.equal("integer", math.type(first_expiry))

      -- A 2 s token is refreshed once less than a quarter (0.5 s) remains.
      uv.sleep(1600)
      session:request("GET", "/integrations/connections")
      assert.are.same({ "POST /token/authenticate", "GET " .. CONNECTIONS, "POST /token/refresh",
        "GET " .. CONNECTIONS }, request_lines(emulator))
      assert.are.equal("AnaplanAuthToken ***", emulator:requests()[3].headers.authorization)
      assert.is_true(session:token_info().expiresAt > first_expiry)
      session:close()
    end)

    it("logs in again when the refresh fails", function()
      emulator:configure({ token_ttl = 2 })
      local session = new_session()
      session:request("GET", "/integrations/connections")
      emulator:fault({ method = "POST", path = "/token/refresh", count = 1, kind = "status", status = 401 })

      uv.sleep(1600)
      session:request("GET", "/integrations/connections")
      assert.are.same({ "POST /token/authenticate", "GET " .. CONNECTIONS, "POST /token/refresh",
        "POST /token/authenticate", "GET " .. CONNECTIONS }, request_lines(emulator))
      session:close()
    end)

    it("logs in again once the token has expired", function()
      emulator:configure({ token_ttl = 1 })
      local session = new_session()
      session:request("GET", "/integrations/connections")

      uv.sleep(1200)
      session:request("GET", "/integrations/connections")
      assert.are.same({ "POST /token/authenticate", "GET " .. CONNECTIONS, "POST /token/authenticate",
        "GET " .. CONNECTIONS }, request_lines(emulator))
      session:close()
    end)
  end)

  describe("logging", function()
    it("logs login at info and each exchange at debug", function()
      local lines = {}
      local session = new_session({ log_level = "debug", logger = function(level, message)
        lines[#lines + 1] = level .. " " .. message
      end })
      session:request("GET", "/integrations/connections")
      assert.are.equal("debug logging in with user_email dev@example.com", lines[1])
      assert.matches("^debug POST /token/authenticate returned 201 in %d+ ms$", lines[2])
      assert.matches("^info logged in with user_email dev@example.com; the token expires in %d+ s$", lines[3])
      assert.matches("^debug GET /integrations/connections returned 200 in %d+ ms$", lines[4])
      assert.are.equal(4, #lines)
      session:close()
    end)

    it("drops lines below log_level", function()
      local lines = {}
      local session = new_session({ log_level = "warn", logger = function(level, message)
        lines[#lines + 1] = level .. " " .. message
      end })
      session:request("GET", "/integrations/connections")
      assert.are.same({}, lines)
      session:close()
    end)

    it("warns once when TLS verification is off", function()
      local lines = {}
      local session = new_session({ verify_tls = false, logger = function(level, message)
        lines[#lines + 1] = level .. " " .. message
      end })
      session:request("GET", "/integrations/connections")
      session:request("GET", "/integrations/connections")
      local warnings = {}
      for _, line in ipairs(lines) do
        if line:match("^warn ") then
          warnings[#warnings + 1] = line
        end
      end
      assert.are.same({ "warn TLS certificate verification is off (verify_tls = false): "
        .. "the identity of the server is not checked" }, warnings)
      session:close()
    end)

    it("ignores a logger that raises", function()
      local calls = 0
      local session = new_session({ logger = function()
        calls = calls + 1
        error("logger failure")
      end })
      assert.are.equal(200, session:request("GET", "/integrations/connections").status.code)
      assert.is_true(calls > 0)
      session:close()
    end)

    it("stops a logger from finalizing the client", function()
      local session
      local finalized = 0
      session = new_session({ log_level = "debug", logger = function()
        getmetatable(session).__gc(session)
        finalized = finalized + 1
      end })
      assert.are.equal(200, session:request("GET", "/integrations/connections").status.code)
      assert.is_true(finalized > 0)
      assert.are.equal(200, session:request("GET", "/integrations/connections").status.code)
      assert.are.same({ "POST /token/authenticate", "GET " .. CONNECTIONS, "GET " .. CONNECTIONS },
        request_lines(emulator))
      session:close()
      assert.are.equal("anaplan.Session (closed)", tostring(session))
    end)

    it("stops a logger from calling the client", function()
      local session
      local errors = {}
      session = new_session({ log_level = "debug", logger = function()
        local ok, err = pcall(session.request, session, "GET", "/integrations/flows")
        errors[#errors + 1] = not ok and err.kind or "no error"
        ok, err = pcall(session.close, session)
        errors[#errors + 1] = not ok and err.kind or "no error"
      end })
      assert.are.equal(200, session:request("GET", "/integrations/connections").status.code)
      assert.is_true(#errors > 0)
      for _, kind in ipairs(errors) do
        assert.are.equal("usage", kind)
      end
      assert.are.same({ "POST /token/authenticate", "GET " .. CONNECTIONS }, request_lines(emulator))
      session:close()
    end)
  end)

  describe("token_info", function()
    it("reports the token without its value", function()
      local session = new_session()
      local before = session:token_info()
      assert.is_false(before.has_token)
      assert.is_nil(before.expiresAt)
      assert.are.equal("basic", before.login)

      session:request("GET", "/integrations/connections")
      local after = session:token_info()
      assert.is_true(after.has_token)
      assert.are.equal("integer", math.type(after.expiresAt))
      assert.is_true(after.expiresAt > os.time() * 1000)
      local keys = {}
      for key in pairs(after) do
        keys[#keys + 1] = key
      end
      table.sort(keys)
      assert.are.same({ "expiresAt", "has_token", "login" }, keys)
      session:close()
    end)
  end)

  describe("close", function()
    it("logs out and makes later use raise", function()
      local session = new_session()
      session:request("GET", "/integrations/connections")
      session:close()
      assert.are.same({ "POST /token/authenticate", "GET " .. CONNECTIONS, "POST /token/logout" },
        request_lines(emulator))
      assert.are.equal("AnaplanAuthToken ***", emulator:requests()[3].headers.authorization)

      local err = catch(session.request, session, "GET", "/integrations/connections")
      assert.are.equal("usage", err.kind)
      assert.are.equal("client is closed", err.message)
      assert.are.equal("usage", catch(session.token_info, session).kind)
      assert.are.equal("anaplan.Session (closed)", tostring(session))
    end)

    it("does nothing the second time", function()
      local session = new_session()
      session:request("GET", "/integrations/connections")
      session:close()
      session:close()
      local logouts = 0
      for _, line in ipairs(request_lines(emulator)) do
        if line == "POST /token/logout" then
          logouts = logouts + 1
        end
      end
      assert.are.equal(1, logouts)
    end)

    it("sends nothing when no login happened", function()
      local session = new_session()
      session:close()
      assert.are.same({}, emulator:requests())
    end)

    it("ignores a failing logout", function()
      local session = new_session()
      session:request("GET", "/integrations/connections")
      emulator:fault({ method = "POST", path = "/token/logout", count = 1, kind = "close" })
      session:close()
      assert.are.equal("anaplan.Session (closed)", tostring(session))
    end)

    it("runs for a to-be-closed variable", function()
      do
        local session <close> = new_session()
        session:request("GET", "/integrations/connections")
      end
      assert.are.same({ "POST /token/authenticate", "GET " .. CONNECTIONS, "POST /token/logout" },
        request_lines(emulator))
    end)
  end)
end)
