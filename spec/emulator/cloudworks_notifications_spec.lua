local fixture = require("emulator.cloudworks_fixture")

local function request_for(integration_id, overrides)
  local request = {
    integrationIds = { integration_id },
    channels = { "email", "in_app" },
    notifications = {
      config = {
        { type = "full_failure", users = { fixture.USER.id } },
        { type = "success", users = { fixture.OTHER_USER.id, string.rep("c", 32) } },
      },
    },
  }
  for key, value in pairs(overrides or {}) do
    request[key] = value
  end
  return request
end

describe("CloudWorks notification configurations", function()
  local env, integration_id, default_id

  before_each(function()
    env = fixture.new()
    integration_id = env:import_integration()
    local _, response = env:call("GET", "/integrations/" .. integration_id)
    default_id = response.integration.notificationId
  end)

  local function delete_default()
    local status = env:call("DELETE", "/integrations/notification/" .. default_id)
    assert.are.equal(200, status)
  end

  describe("the configuration made with the integration", function()
    it("names the integration and has no channels or rules", function()
      local status, response, _, text = env:call("GET", "/integrations/notification/" .. default_id)
      assert.are.equal(200, status)
      assert.are.equal(default_id, response.notifications.notificationId)
      assert.are.same({ integration_id }, response.notifications.integrationIds)
      assert.matches('"channels":[]', text, 1, true)
      assert.matches('"config":[]', text, 1, true)
    end)
  end)

  describe("create", function()
    it("responds with 400 Duplicate resource name not allowed while the integration has one", function()
      local status, response = env:call("POST", "/integrations/notification", request_for(integration_id))
      assert.are.equal(400, status)
      assert.are.same({ code = 400, message = "Duplicate resource name not allowed" }, response.status)
    end)

    it("returns the new id wrapped in notification.notificationId", function()
      delete_default()
      local status, response = env:call("POST", "/integrations/notification", request_for(integration_id))
      assert.are.equal(200, status)
      local id = response.notification.notificationId
      assert.matches(fixture.ID_PATTERN, id)
      local _, integration = env:call("GET", "/integrations/" .. integration_id)
      assert.are.equal(id, integration.integration.notificationId)
    end)

    it("rejects a request without notifications.config", function()
      delete_default()
      local status, response = env:call("POST", "/integrations/notification", request_for(integration_id, { notifications = {} }))
      assert.are.equal(400, status)
      assert.matches("body.notifications.config: is required", fixture.details(response), 1, true)
    end)

    it("rejects a request without notifications", function()
      delete_default()
      local request = request_for(integration_id)
      request.notifications = nil
      local status, response = env:call("POST", "/integrations/notification", request)
      assert.are.equal(400, status)
      assert.matches("body.notifications: is required", fixture.details(response), 1, true)
    end)

    it("rejects an unknown channel and event type", function()
      delete_default()
      local request = request_for(integration_id, {
        channels = { "sms" },
        notifications = { config = { { type = "started", users = { fixture.USER.id } } } },
      })
      local status, response = env:call("POST", "/integrations/notification", request)
      assert.are.equal(400, status)
      local details = fixture.details(response)
      assert.matches("body.channels[0]: must be one of email, in_app", details, 1, true)
      assert.matches("body.notifications.config[0].type: must be one of", details, 1, true)
    end)

    it("rejects a rule with no users or more than five", function()
      delete_default()
      local six = {}
      for index = 1, 6 do
        six[index] = string.format("%032x", index)
      end
      local request = request_for(integration_id, {
        notifications = { config = { { type = "success", users = {} }, { type = "full_failure", users = six } } },
      })
      local status, response = env:call("POST", "/integrations/notification", request)
      assert.are.equal(400, status)
      local details = fixture.details(response)
      assert.matches("config[0].users: must have at least 1 item", details, 1, true)
      assert.matches("config[1].users: must have at most 5 items", details, 1, true)
    end)

    it("rejects a user id that is not a GUID", function()
      delete_default()
      local request = request_for(integration_id, {
        notifications = { config = { { type = "success", users = { "dev@example.com" } } } },
      })
      local status, response = env:call("POST", "/integrations/notification", request)
      assert.are.equal(400, status)
      assert.matches("config[0].users[0]: must be 32 lowercase hexadecimal characters", fixture.details(response), 1, true)
    end)

    it("rejects a repeated channel, user or rule type", function()
      delete_default()
      local request = request_for(integration_id, {
        channels = { "email", "email" },
        notifications = {
          config = {
            { type = "success", users = { fixture.USER.id, fixture.USER.id } },
            { type = "success", users = { fixture.OTHER_USER.id } },
          },
        },
      })
      local status, response = env:call("POST", "/integrations/notification", request)
      assert.are.equal(400, status)
      local details = fixture.details(response)
      assert.matches("body.channels[1]: repeats an earlier item", details, 1, true)
      assert.matches("body.notifications.config[0].users[1]: repeats an earlier item", details, 1, true)
      assert.matches("body.notifications.config[1].type: repeats an earlier rule's type", details, 1, true)
      assert.are.equal(3, #response.details)
    end)

    it("rejects an unknown integration", function()
      local status, response = env:call("POST", "/integrations/notification", request_for(string.rep("f", 32)))
      assert.are.equal(400, status)
      assert.matches("body.integrationIds[0]: no integration has this id", fixture.details(response), 1, true)
    end)

    it("rejects more than one integration", function()
      local other = env:import_integration("other")
      local status, response = env:call("POST", "/integrations/notification", request_for(integration_id, { integrationIds = { integration_id, other } }))
      assert.are.equal(400, status)
      assert.matches("body.integrationIds: must have at most 1 item", fixture.details(response), 1, true)
    end)
  end)

  describe("get", function()
    it("resolves user names it knows", function()
      delete_default()
      -- Any request makes the emulator see a user; this one signs in as OTHER_USER.
      env:call("GET", "/integrations", nil, { user = fixture.OTHER_USER })
      local _, created = env:call("POST", "/integrations/notification", request_for(integration_id))
      local status, response = env:call("GET", "/integrations/notification/" .. created.notification.notificationId)
      assert.are.equal(200, status)
      local config = response.notifications.notifications.config
      assert.are.equal("full_failure", config[1].type)
      assert.are.same({ userGuid = fixture.USER.id, firstName = "Dev", lastName = "User" }, config[1].users[1])
      assert.are.same({ userGuid = fixture.OTHER_USER.id, firstName = "Ana", lastName = "Lyst" }, config[2].users[1])
      assert.are.same({ userGuid = string.rep("c", 32), firstName = "", lastName = "" }, config[2].users[2])
      assert.are.same({ "email", "in_app" }, response.notifications.channels)
    end)

    it("responds with 404 for an unknown id", function()
      local status, response = env:call("GET", "/integrations/notification/" .. string.rep("f", 32))
      assert.are.equal(404, status)
      assert.are.equal(404, response.status.code)
    end)
  end)

  describe("PUT", function()
    it("replaces channels and rules", function()
      local status = env:call("PUT", "/integrations/notification/" .. default_id, request_for(integration_id, { channels = { "in_app" } }))
      assert.are.equal(200, status)
      local _, response = env:call("GET", "/integrations/notification/" .. default_id)
      assert.are.same({ "in_app" }, response.notifications.channels)
      assert.are.equal(2, #response.notifications.notifications.config)
    end)

    it("rejects an integration that has another configuration", function()
      local other = env:import_integration("other")
      local status, response = env:call("PUT", "/integrations/notification/" .. default_id, request_for(other))
      assert.are.equal(400, status)
      assert.are.equal("Duplicate resource name not allowed", response.status.message)
    end)

    it("rejects an invalid body", function()
      local status = env:call("PUT", "/integrations/notification/" .. default_id, { channels = { "email" } })
      assert.are.equal(400, status)
    end)

    it("responds with 404 for an unknown id", function()
      local status = env:call("PUT", "/integrations/notification/" .. string.rep("f", 32), request_for(integration_id))
      assert.are.equal(404, status)
    end)
  end)

  describe("DELETE", function()
    it("removes the configuration from its integration", function()
      delete_default()
      local _, response = env:call("GET", "/integrations/" .. integration_id)
      assert.is_nil(response.integration.notificationId)
      assert.are.equal(404, (env:call("GET", "/integrations/notification/" .. default_id)))
    end)

    it("responds with 404 for an unknown id", function()
      local status = env:call("DELETE", "/integrations/notification/" .. string.rep("f", 32))
      assert.are.equal(404, status)
    end)
  end)
end)
