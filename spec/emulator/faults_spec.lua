-- Faults injected through the control API: each kind, how count runs out,
-- and which requests a fault's method and path match. The server runs in
-- this process with a fake CloudWorks state that counts the requests it runs.
local uv = require("luv")
local json = require("anaplan.emulator.json")
local server = require("anaplan.emulator.server")
local client = require("anaplan.emulator.client")
local auth = require("anaplan.emulator.auth")

local function fake_state()
  local state = { handled = 0 }
  function state:handle(request)
    self.handled = self.handled + 1
    if request.path:match("^/integrations") then
      return 200, { status = { code = 200, message = "Success" }, path = request.path, padding = string.rep("x", 200) }
    end
  end
  function state:configure() end
  function state:reset() end
  function state:set_next_outcome() end
  return state
end

describe("emulator faults", function()
  local state, emulator, token

  local function call(method, path, headers, body)
    return client.request({ port = emulator.port, method = method, path = path, headers = headers, body = body })
  end

  local function cloudworks(method, path)
    return call(method, path, { Authorization = "AnaplanAuthToken " .. token })
  end

  local function add_fault(fault)
    local status, _, body = call("POST", "/__emulator/faults", nil, json.encode(fault))
    return status, json.decode(body)
  end

  local function requests()
    local _, _, body = call("GET", "/__emulator/requests")
    return json.decode(body).requests
  end

  before_each(function()
    state = fake_state()
    emulator = assert(server.start({ state = state }))
    local _, _, body = call("POST", "/token/authenticate",
      { Authorization = "Basic " .. auth.base64_encode("dev@example.com:dev") })
    token = json.decode(body).tokenInfo.tokenValue
  end)

  after_each(function()
    emulator:stop()
    uv.run("nowait")
  end)

  describe("kind status", function()
    it("returns the status without running the request", function()
      assert.are.equal(200, (add_fault({ kind = "status", status = 503, path = "/2/0/integrations" })))
      local status, headers, body = cloudworks("GET", "/2/0/integrations")

      assert.are.equal(503, status)
      assert.matches("^application/json", headers["content-type"])
      assert.are.same({ status = { code = 503, message = "Service Unavailable" } }, json.decode(body))
      assert.is_nil(headers["retry-after"])
      assert.are.equal(0, state.handled)
    end)

    it("sends retry_after verbatim as Retry-After", function()
      add_fault({ kind = "status", status = 429, path = "/2/0/integrations", retry_after = 3 })
      add_fault({ kind = "status", status = 429, path = "/2/0/integrations",
        retry_after = "Wed, 21 Oct 2026 07:28:00 GMT" })

      local first, first_headers = cloudworks("GET", "/2/0/integrations")
      local second, second_headers = cloudworks("GET", "/2/0/integrations")
      assert.are.equal(429, first)
      assert.are.equal("3", first_headers["retry-after"])
      assert.are.equal(429, second)
      assert.are.equal("Wed, 21 Oct 2026 07:28:00 GMT", second_headers["retry-after"])
    end)

    it("applies even without a token", function()
      add_fault({ kind = "status", status = 500, path = "/2/0/integrations" })
      assert.are.equal(500, (call("GET", "/2/0/integrations")))
    end)

    it("uses the auth error shape for 401 on /token", function()
      add_fault({ kind = "status", status = 401, path = "/token/authenticate" })
      local status, _, body = call("POST", "/token/authenticate",
        { Authorization = "Basic " .. auth.base64_encode("dev@example.com:dev") })
      assert.are.equal(401, status)
      assert.are.equal("FAILURE_BAD_CREDENTIAL", json.decode(body).status)
    end)

    it("quotes the request body back with echo_body", function()
      add_fault({ kind = "status", status = 500, path = "/2/0/integrations", echo_body = true })
      local status, _, body = call("POST", "/2/0/integrations",
        { Authorization = "AnaplanAuthToken " .. token }, '{"name":"quoted"}')

      assert.are.equal(500, status)
      assert.are.equal('Internal Server Error: {"name":"quoted"}', json.decode(body).status.message)
      assert.are.equal(0, state.handled)
    end)

    it("rejects echo_body that is not a boolean", function()
      local status, body = add_fault({ kind = "status", status = 500, path = "/2/0/integrations", echo_body = 1 })
      assert.are.equal(400, status)
      assert.matches("echo_body must be a boolean", body.status.message)
    end)

    it("rejects a status outside 401, 429, 500, 502, 503, 504", function()
      local status, body = add_fault({ kind = "status", status = 404, path = "/2/0/integrations" })
      assert.are.equal(400, status)
      assert.matches("status must be one of", body.status.message)
    end)
  end)

  describe("kind delay", function()
    it("waits, then runs the request", function()
      add_fault({ kind = "delay", seconds = 0.3, path = "/2/0/integrations" })
      local started = uv.hrtime()
      local status = cloudworks("GET", "/2/0/integrations")
      local elapsed = (uv.hrtime() - started) / 1e9

      assert.are.equal(200, status)
      assert.is_true(elapsed >= 0.29, "elapsed " .. elapsed)
      assert.are.equal(1, state.handled)
    end)

    it("rejects a fault without seconds", function()
      local status, body = add_fault({ kind = "delay", path = "/2/0/integrations" })
      assert.are.equal(400, status)
      assert.matches("seconds", body.status.message)
    end)
  end)

  describe("kind close", function()
    it("closes without running the request", function()
      add_fault({ kind = "close", path = "/2/0/integrations" })
      local status, message = cloudworks("GET", "/2/0/integrations")
      assert.is_nil(status)
      assert.are.equal("connection closed before a response", message)
      assert.are.equal(0, state.handled)
    end)
  end)

  describe("kind close_mid_body", function()
    it("runs the request, then cuts the body in half", function()
      add_fault({ kind = "close_mid_body", path = "/2/0/integrations" })
      local status, message = cloudworks("GET", "/2/0/integrations")

      assert.is_nil(status)
      local received, length = message:match("closed after (%d+) of (%d+) body bytes")
      assert.is_not_nil(received, message)
      assert.are.equal(tonumber(length) // 2, tonumber(received))
      assert.is_true(tonumber(length) > 200)
      assert.are.equal(1, state.handled)
    end)
  end)

  describe("kind bad_json", function()
    it("runs the request, then returns HTML as JSON", function()
      add_fault({ kind = "bad_json", path = "/2/0/integrations" })
      local status, headers, body = cloudworks("GET", "/2/0/integrations")

      assert.are.equal(200, status)
      assert.matches("^application/json", headers["content-type"])
      assert.matches("^<html>", body)
      assert.is_nil(json.decode(body))
      assert.are.equal(1, state.handled)
    end)
  end)

  describe("matching", function()
    it("stops after count matching requests", function()
      add_fault({ kind = "status", status = 502, path = "/2/0/integrations", count = 2 })
      assert.are.equal(502, (cloudworks("GET", "/2/0/integrations")))
      assert.are.equal(502, (cloudworks("GET", "/2/0/integrations")))
      assert.are.equal(200, (cloudworks("GET", "/2/0/integrations")))
      assert.are.equal(1, state.handled)
    end)

    it("matches a path ending in * as a prefix", function()
      add_fault({ kind = "status", status = 504, path = "/2/0/integrations/*", count = 5 })
      assert.are.equal(504, (cloudworks("GET", "/2/0/integrations/abc")))
      assert.are.equal(504, (cloudworks("DELETE", "/2/0/integrations/connections/def")))
      assert.are.equal(200, (cloudworks("GET", "/2/0/integrations")))
    end)

    it("matches a path without * exactly", function()
      add_fault({ kind = "status", status = 500, path = "/2/0/integrations" })
      assert.are.equal(200, (cloudworks("GET", "/2/0/integrations/abc")))
      assert.are.equal(500, (cloudworks("GET", "/2/0/integrations?limit=1")))
    end)

    it("matches only the method given", function()
      add_fault({ kind = "status", status = 503, method = "post", path = "/2/0/integrations" })
      assert.are.equal(200, (cloudworks("GET", "/2/0/integrations")))
      assert.are.equal(503, (cloudworks("POST", "/2/0/integrations")))
    end)

    it("applies faults in the order they were added", function()
      add_fault({ kind = "status", status = 500, path = "/2/0/*" })
      add_fault({ kind = "status", status = 503, path = "/2/0/integrations" })
      assert.are.equal(500, (cloudworks("GET", "/2/0/integrations")))
      assert.are.equal(503, (cloudworks("GET", "/2/0/integrations")))
    end)

    it("never applies to control requests", function()
      add_fault({ kind = "close", path = "/*", count = 10 })
      local status = call("GET", "/__emulator/requests")
      assert.are.equal(200, status)
    end)

    it("names the applied fault in the request log", function()
      add_fault({ kind = "status", status = 503, path = "/2/0/integrations" })
      cloudworks("GET", "/2/0/integrations")
      cloudworks("GET", "/2/0/integrations")
      local log = requests()
      assert.are.equal("status", log[2].fault)
      assert.is_nil(log[3].fault)
    end)

    it("DELETE clears every fault", function()
      add_fault({ kind = "status", status = 503, path = "/2/0/integrations", count = 3 })
      assert.are.equal(200, (call("DELETE", "/__emulator/faults")))
      assert.are.equal(200, (cloudworks("GET", "/2/0/integrations")))
    end)

    it("GET lists the faults with what remains of their count", function()
      add_fault({ kind = "status", status = 503, path = "/2/0/integrations", count = 3 })
      cloudworks("GET", "/2/0/integrations")
      local _, _, body = call("GET", "/__emulator/faults")
      local faults = json.decode(body).faults
      assert.are.equal(1, #faults)
      assert.are.equal(2, faults[1].remaining)
      assert.are.equal(3, faults[1].count)
    end)
  end)

  describe("validation", function()
    it("rejects an unknown kind", function()
      local status, body = add_fault({ kind = "explode", path = "/2/0/integrations" })
      assert.are.equal(400, status)
      assert.matches("kind must be one of", body.status.message)
    end)

    it("rejects an unknown field by name", function()
      local status, body = add_fault({ kind = "close", path = "/2/0/integrations", times = 2 })
      assert.are.equal(400, status)
      assert.matches('"times"', body.status.message)
    end)

    it("rejects a path that does not start with /", function()
      local status, body = add_fault({ kind = "close", path = "2/0/integrations" })
      assert.are.equal(400, status)
      assert.matches("path must be", body.status.message)
    end)

    it("rejects a count below 1", function()
      local status, body = add_fault({ kind = "close", path = "/2/0/integrations", count = 0 })
      assert.are.equal(400, status)
      assert.matches("count must be a positive integer", body.status.message)
    end)

    it("rejects status on a kind other than status", function()
      local status, body = add_fault({ kind = "close", status = 503, path = "/2/0/integrations" })
      assert.are.equal(400, status)
      assert.matches("apply only to kind status", body.status.message)
    end)
  end)
end)
