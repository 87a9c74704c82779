local json = require("anaplan.emulator.json")
local cloudworks = require("anaplan.emulator.cloudworks")
local fixture = require("emulator.cloudworks_fixture")

local ID = string.rep("f", 32)

-- Every live operation, with ids that exist in no state: each must reach a
-- handler, so none may return nil.
local LIVE_ROUTES = {
  { "GET", "/integrations/connections" },
  { "POST", "/integrations/connections" },
  { "PUT", "/integrations/connections/" .. ID },
  { "PATCH", "/integrations/connections/" .. ID },
  { "DELETE", "/integrations/connections/" .. ID },
  { "GET", "/integrations" },
  { "POST", "/integrations" },
  { "GET", "/integrations/" .. ID },
  { "PUT", "/integrations/" .. ID },
  { "DELETE", "/integrations/" .. ID },
  { "POST", "/integrations/" .. ID .. "/run" },
  { "POST", "/integrations/" .. ID .. "/cancel" },
  { "POST", "/integrations/" .. ID .. "/schedule" },
  { "PUT", "/integrations/" .. ID .. "/schedule" },
  { "DELETE", "/integrations/" .. ID .. "/schedule" },
  { "POST", "/integrations/" .. ID .. "/schedule/status/enabled" },
  { "GET", "/integrations/runs/" .. ID },
  { "GET", "/integrations/runerror/" .. ID },
  { "GET", "/integrations/run/" .. ID },
  { "POST", "/integrations/notification" },
  { "GET", "/integrations/notification/" .. ID },
  { "PUT", "/integrations/notification/" .. ID },
  { "DELETE", "/integrations/notification/" .. ID },
  { "GET", "/integrations/run/" .. ID .. "/dumps" },
  { "GET", "/integrations/run/" .. ID .. "/process/import/112000000011/dumps" },
  { "GET", "/integrationflows" },
  { "POST", "/integrationflows" },
  { "GET", "/integrationflows/" .. ID },
  { "PUT", "/integrationflows/" .. ID },
  { "DELETE", "/integrationflows/" .. ID },
  { "POST", "/integrationflows/" .. ID .. "/run" },
}

describe("CloudWorks state", function()
  local env

  before_each(function()
    env = fixture.new()
  end)

  describe("routing", function()
    it("routes all 31 live operations", function()
      assert.are.equal(31, #LIVE_ROUTES)
      for _, route in ipairs(LIVE_ROUTES) do
        local status, response = env:call(route[1], route[2], {})
        assert.is_not_nil(status, route[1] .. " " .. route[2])
        assert.are.equal(status, response.status.code, route[1] .. " " .. route[2])
      end
    end)

    it("returns nil for the dead anaplanModels route", function()
      local status, body = env:call("GET", "/integrations/anaplanModels/" .. fixture.MODEL_ID)
      assert.is_nil(status)
      assert.is_nil(body)
    end)

    it("returns nil for a path no route has", function()
      for _, path in ipairs({ "/", "", "/integration", "/integrations/connections/a/b" }) do
        assert.is_nil((env:call("GET", path)), path)
      end
      assert.is_nil((env:call("POST", "/integrations//run")))
    end)

    it("returns nil for a method the path does not take", function()
      assert.is_nil((env:call("PATCH", "/integrations")))
      assert.is_nil((env:call("DELETE", "/integrationflows")))
      assert.is_nil((env:call("GET", "/integrations/" .. ID .. "/run")))
    end)

    it("ignores one trailing slash", function()
      local status = env:call("GET", "/integrations/connections/")
      assert.are.equal(200, status)
    end)

    it("treats an unknown id shape as not found", function()
      local status, response = env:call("GET", "/integrations/not-an-id")
      assert.are.equal(404, status)
      assert.are.equal("Integration not found", response.status.message)
    end)

    it("responds with without a query table or user", function()
      local status, response = env.state:handle({ method = "GET", path = "/integrations" })
      assert.are.equal(200, status)
      assert.are.equal(0, #response.integrations)
    end)
  end)

  describe("new", function()
    it("rejects invalid options", function()
      assert.has_error(function()
        cloudworks.new({ page_cap = 0 })
      end, "cloudworks.new: page_cap must be an integer of at least 1")
      assert.has_error(function()
        cloudworks.new({ run_duration = -1 })
      end)
      assert.has_error(function()
        cloudworks.new({ clock = 5 })
      end)
    end)

    it("uses the injected random_hex for ids", function()
      env = fixture.new({ random_hex = fixture.counting_hex() })
      local id = env:create_connection()
      assert.are.equal(string.format("%032x", 1), id)
    end)

    it("skips an id already issued", function()
      local values = { string.rep("1", 32), string.rep("1", 32), string.rep("2", 32) }
      local index = 0
      env = fixture.new({
        random_hex = function()
          index = index + 1
          return values[index]
        end,
      })
      local first = env:create_connection(fixture.s3_body("a"))
      local second = env:create_connection(fixture.s3_body("b"))
      assert.are.equal(string.rep("1", 32), first)
      assert.are.equal(string.rep("2", 32), second)
    end)

    it("raises when random_hex returns something other than lowercase hex", function()
      env = fixture.new({
        random_hex = function()
          return string.rep("Z", 32)
        end,
      })
      assert.has_error(function()
        env:call("POST", "/integrations/connections", fixture.s3_body())
      end, "random_hex(32) must return 32 lowercase hexadecimal characters")
    end)

    it("makes different ids with the default random_hex", function()
      local plain = cloudworks.new({})
      local seen = {}
      for index = 1, 20 do
        local _, response = plain:handle({ method = "POST", path = "/integrations/connections", body = json.decode(json.encode(fixture.s3_body("c" .. index))) })
        local id = response.connections.connectionId
        assert.matches(fixture.ID_PATTERN, id)
        assert.is_nil(seen[id])
        seen[id] = true
      end
    end)
  end)

  describe("configure", function()
    it("changes page_cap", function()
      for index = 1, 3 do
        env:create_connection(fixture.s3_body("c" .. index))
      end
      assert.is_true(env.state:configure({ page_cap = 2 }))
      local _, response = env:call("GET", "/integrations/connections", nil, { query = { limit = "10" } })
      assert.are.equal(2, #response.connections)
    end)

    it("returns nil and a message for an invalid value and changes nothing", function()
      local ok, message = env.state:configure({ page_cap = 5, run_duration = "soon" })
      assert.is_nil(ok)
      assert.are.equal("run_duration must be a finite number of seconds, at least 0", message)
      assert.are.equal(1000, env.state.page_cap)
    end)
  end)

  describe("set_next_outcome", function()
    it("rejects an unknown outcome", function()
      local ok, message = env.state:set_next_outcome(ID, "explode")
      assert.is_nil(ok)
      assert.are.equal("outcome must be one of success, partial_failure, failure", message)
    end)

    it("rejects a malformed integration id", function()
      local ok, message = env.state:set_next_outcome("abc", "failure")
      assert.is_nil(ok)
      assert.matches("integration id must be 32 lowercase hexadecimal characters", message, 1, true)
    end)
  end)

  describe("reset", function()
    it("forgets every record and queued outcome but keeps the configuration", function()
      env.state:configure({ page_cap = 7 })
      local integration_id = env:import_integration()
      env.state:set_next_outcome(integration_id, "failure")
      env.state:reset()
      local _, connections = env:call("GET", "/integrations/connections")
      local _, integrations = env:call("GET", "/integrations")
      assert.are.equal(0, #connections.connections)
      assert.are.equal(0, #integrations.integrations)
      assert.are.equal(0, integrations.meta.tenantCurrentCount)
      assert.are.same({}, env.state.outcomes)
      assert.are.equal(7, env.state.page_cap)
    end)
  end)
end)
