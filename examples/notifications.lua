-- Notifications: read the configuration an integration gets when it is
-- created, change which users get a message on which outcome, read it back,
-- delete it, and create a new one.
--
--   lua5.4 examples/notifications.lua
--
-- Runs against a local emulator it starts itself, or against the live API
-- when ANAPLAN_USER_EMAIL and ANAPLAN_PASSWORD are set (see support.lua).
-- Users are named by their 32-character user ids; against the live API set
-- ANAPLAN_NOTIFY_USER_IDS to a comma-separated list of real ones.
local support = dofile(((arg and arg[0] or ""):match("^(.*)/[^/]*$") or ".") .. "/support.lua")
local anaplan = require("anaplan")
local cw_models = require("anaplan.cloud_works")

local client, close = support.connect()
local cw = client.cw
local created = support.tracker(cw)
local step = support.step

-- Returns the user ids to notify: those in ANAPLAN_NOTIFY_USER_IDS, or two
-- made-up ids that only the emulator accepts.
local function user_ids()
  local ids = {}
  for id in (os.getenv("ANAPLAN_NOTIFY_USER_IDS") or ""):gmatch("[^,%s]+") do
    ids[#ids + 1] = id
  end
  if #ids == 0 then
    ids = { "8a868cd97d6b21ad017d7a3f5d0a0001", "8a868cd97d6b21ad017d7a3f5d0a0002" }
  end
  return ids
end

-- Prints a notification configuration as get_notification_config returns it.
local function show(config)
  print(string.format("  notification id: %s", tostring(config.notificationId)))
  print(string.format("  integrations: %s", table.concat(config.integrationIds or {}, ", ")))
  local channels = config.channels or {}
  print(string.format("  channels: %s", #channels > 0 and table.concat(channels, ", ") or "none"))
  local items = config.notifications and config.notifications.config or {}
  if #items == 0 then
    print("  nobody is notified")
  end
  for _, item in ipairs(items) do
    local names = {}
    for _, user in ipairs(item.users or {}) do
      local full_name = table.concat({ user.firstName or "", user.lastName or "" }, " "):match("^%s*(.-)%s*$")
      names[#names + 1] = full_name ~= "" and string.format("%s (%s)", full_name, tostring(user.userGuid))
        or tostring(user.userGuid)
    end
    print(string.format("  on %s: %s", tostring(item.type), table.concat(names, ", ")))
  end
end

local function run()
  step("Create an Azure Blob connection and an import integration")
  local _, integration_id = support.create_blob_import(cw, created, "notifications-example")

  step("The configuration created with the integration")
  local config = cw:get_notification_config { integration_id = integration_id }
  show(config)
  local notification_id = config.notificationId

  step("Email and in-app messages: everyone on failure, the first user on partial failure")
  local users = user_ids()
  local everyone_on_failure = cw_models.NotificationInput {
    integration_ids = { integration_id },
    channels = { "email", "in_app" },
    notifications = {
      config = {
        cw_models.NotificationItemInput { type = "full_failure", users = users },
        cw_models.NotificationItemInput { type = "partial_failure", users = { users[1] } },
      },
    },
  }
  cw:update_notification_config(notification_id, everyone_on_failure)

  step("Read it back")
  show(cw:get_notification_config { notification_id = notification_id })

  step("Delete it")
  cw:delete_notification_config { integration_id = integration_id }
  print("deleted notification configuration " .. notification_id)
  local still_there, read_err = pcall(cw.get_notification_config, cw, { notification_id = notification_id })
  assert(not still_there and anaplan.errors.is(read_err, "http") and read_err.status == 404,
    "the deleted configuration should be gone")
  print("reading it again: HTTP 404 (" .. tostring(read_err.api_message) .. ")")

  step("Create a new one for the integration: email on success only")
  local new_id = cw:create_notification_config(cw_models.NotificationInput {
    integration_ids = { integration_id },
    channels = { "email" },
    notifications = { config = { cw_models.NotificationItemInput { type = "success", users = { users[1] } } } },
  })
  show(cw:get_notification_config { integration_id = integration_id })

  step("An integration has one configuration: a second create is rejected")
  local accepted, create_err = pcall(cw.create_notification_config, cw, everyone_on_failure)
  assert(not accepted and anaplan.errors.is(create_err, "http") and create_err.status == 400,
    "a second configuration for the integration should be rejected")
  print(string.format("HTTP %d (%s)", create_err.status, tostring(create_err.api_message)))

  -- Deleting the integration would delete its configuration too. This
  -- deletes it by notification_id, the other way to select it.
  cw:delete_notification_config { notification_id = new_id }
  print("deleted notification configuration " .. new_id)
end

support.run_and_clean_up(run, created, close)
