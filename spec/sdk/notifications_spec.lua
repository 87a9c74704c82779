-- Notification configurations end to end: get, create, update and delete,
-- by notification id or by the integration they belong to.
local sdk = require("helpers.sdk")

describe("notifications", function()
  local emulator, cw, integration_id, notification_id

  sdk.client_for_each_test(function(shared_emulator, new_client)
    emulator, cw = shared_emulator, new_client.cw
  end)

  before_each(function()
    local connection_id = sdk.make_connection(cw, "notified-source")
    integration_id = sdk.make_import_integration(cw, connection_id, "notified-import")
    -- Creating an integration also creates its notification configuration.
    notification_id = cw:get_integration(integration_id).notificationId
  end)

  describe("get_notification_config", function()
    it("reads a configuration by its id", function()
      local config = cw:get_notification_config { notification_id = notification_id }

      local request = sdk.last_request(emulator)
      assert.are.equal("GET", request.method)
      assert.are.equal("/integrations/notification/" .. notification_id, request.route)
      assert.are.equal("", request.query)
      assert.are.equal("", request.body)
      assert.are.equal(notification_id, config.notificationId)
      assert.are.same({ integration_id }, config.integrationIds)
    end)

    it("finds a configuration by integration id", function()
      emulator:clear_requests()

      local config = cw:get_notification_config { integration_id = integration_id }

      assert.are.same({
        "GET /integrations/" .. integration_id,
        "GET /integrations/notification/" .. notification_id,
      }, sdk.request_lines(emulator))
      assert.are.equal(notification_id, config.notificationId)
    end)

    it("rejects both selectors at once before sending", function()
      sdk.rejected_before_sending(emulator, cw.get_notification_config, cw,
        { notification_id = notification_id, integration_id = integration_id })
    end)

    it("names an integration without a configuration", function()
      cw:delete_notification_config { notification_id = notification_id }
      emulator:clear_requests()

      local ok, err = pcall(cw.get_notification_config, cw, { integration_id = integration_id })

      assert.is_false(ok)
      assert.truthy(tostring(err.message):find(integration_id, 1, true))
      assert.are.same({ "GET /integrations/" .. integration_id }, sdk.request_lines(emulator))
    end)

    it("rejects a call without a selector before sending", function()
      sdk.rejected_before_sending(emulator, cw.get_notification_config, cw, {})
    end)
  end)

  describe("create_notification_config", function()
    it("sends the configuration and returns its id", function()
      cw:delete_notification_config { notification_id = notification_id }

      local id = cw:create_notification_config(sdk.notification_input(integration_id))

      local request = sdk.last_request(emulator)
      assert.are.equal("POST", request.method)
      assert.are.equal("/integrations/notification", request.route)
      assert.are.equal("", request.query)
      assert.are.same(sdk.notification_input(integration_id), sdk.body_of(request))
      assert.truthy(request.body:find('"integrationIds":["' .. integration_id .. '"]', 1, true))
      sdk.assert_id(id, "notification id")
      assert.are.equal(id, cw:get_integration(integration_id).notificationId)
    end)

    it("sends the same body when built with the constructors", function()
      local models = sdk.models()
      cw:delete_notification_config { notification_id = notification_id }
      local input = models.NotificationInput {
        integration_ids = { integration_id },
        channels = { "email", "in_app" },
        notifications = {
          config = {
            models.NotificationItemInput { type = "full_failure", users = { sdk.USER_GUID } },
          },
        },
      }

      cw:create_notification_config(input)

      assert.are.same(sdk.notification_input(integration_id), sdk.body_of(sdk.last_request(emulator)))
    end)

    it("rejects six users for one event before sending", function()
      local input = sdk.notification_input(integration_id)
      local users = {}
      for i = 1, 6 do
        users[i] = string.format("%032x", i)
      end
      input.notifications.config[1].users = users

      sdk.rejected_before_sending(emulator, cw.create_notification_config, cw, input)
    end)

    it("rejects an unknown channel before sending", function()
      local input = sdk.notification_input(integration_id)
      input.channels = { "sms" }

      sdk.rejected_before_sending(emulator, cw.create_notification_config, cw, input)
    end)
  end)

  describe("update_notification_config", function()
    it("sends the whole configuration with PUT", function()
      local input = sdk.notification_input(integration_id)

      local result = cw:update_notification_config(notification_id, input)

      local request = sdk.last_request(emulator)
      assert.are.equal("PUT", request.method)
      assert.are.equal("/integrations/notification/" .. notification_id, request.route)
      assert.are.equal("", request.query)
      assert.are.same(input, sdk.body_of(request))
      assert.is_nil(result)
      local stored = cw:get_notification_config { notification_id = notification_id }
      assert.are.same({ "email", "in_app" }, stored.channels)
      assert.are.equal("full_failure", stored.notifications.config[1].type)
      assert.are.equal(sdk.USER_GUID, stored.notifications.config[1].users[1].userGuid)
    end)
  end)

  describe("delete_notification_config", function()
    it("deletes a configuration by its id", function()
      local result = cw:delete_notification_config { notification_id = notification_id }

      local request = sdk.last_request(emulator)
      assert.are.equal("DELETE", request.method)
      assert.are.equal("/integrations/notification/" .. notification_id, request.route)
      assert.are.equal("", request.query)
      assert.are.equal("", request.body)
      assert.is_nil(result)
      local err = sdk.error_of("http", cw.get_notification_config, cw, { notification_id = notification_id })
      assert.are.equal(404, err.status)
    end)

    it("deletes a configuration by integration id", function()
      emulator:clear_requests()

      cw:delete_notification_config { integration_id = integration_id }

      assert.are.same({
        "GET /integrations/" .. integration_id,
        "DELETE /integrations/notification/" .. notification_id,
      }, sdk.request_lines(emulator))
      assert.is_nil(cw:get_integration(integration_id).notificationId)
    end)
  end)
end)
