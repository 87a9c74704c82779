-- Schedules end to end: create, update, enable or disable, delete.
local sdk = require("helpers.sdk")

describe("schedules", function()
  local emulator, cw, integration_id

  sdk.client_for_each_test(function(shared_emulator, new_client)
    emulator, cw = shared_emulator, new_client.cw
  end)

  before_each(function()
    local connection_id = sdk.make_connection(cw, "schedule-source")
    integration_id = sdk.make_import_integration(cw, connection_id, "scheduled-import")
  end)

  describe("create_schedule", function()
    it("sends the integration id in the body as well as the path", function()
      local result = cw:create_schedule(integration_id, sdk.weekly_schedule())

      local request = sdk.last_request(emulator)
      assert.are.equal("POST", request.method)
      assert.are.equal("/integrations/" .. integration_id .. "/schedule", request.route)
      assert.are.equal("", request.query)
      assert.are.same({ integrationId = integration_id, schedule = sdk.weekly_schedule() }, sdk.body_of(request))
      assert.truthy(request.body:find('"integrationId":"' .. integration_id .. '"', 1, true))
      assert.truthy(request.body:find('"daysOfWeek":[1,3,5]', 1, true))
      assert.is_nil(result)
    end)

    it("stores the schedule on the integration, active, with integer days", function()
      cw:create_schedule(integration_id, sdk.weekly_schedule())

      local schedule = cw:get_integration(integration_id).schedule

      assert.are.equal("weekly", schedule.type)
      assert.are.equal("08:30", schedule.time)
      assert.are.equal("Active", schedule.status)
      assert.are.same({ 1, 3, 5 }, schedule.daysOfWeek)
      for _, day in ipairs(schedule.daysOfWeek) do
        assert.are.equal("integer", math.type(day))
      end
    end)

    it("sends the same body when built with ScheduleInput", function()
      local models = sdk.models()
      local schedule = models.ScheduleInput {
        name = "weekday-mornings",
        type = "weekly",
        time = "08:30",
        days_of_week = { 1, 3, 5 },
        start_date = "2026-01-05",
        end_date = "2026-12-31",
        timezone = "Europe/London",
      }

      cw:create_schedule(integration_id, schedule)

      assert.are.same({ integrationId = integration_id, schedule = sdk.weekly_schedule() },
        sdk.body_of(sdk.last_request(emulator)))
    end)

    it("sends an hourly schedule without an end date", function()
      local schedule = {
        name = "working-hours",
        type = "hourly",
        fromTime = "09:00",
        toTime = "17:00",
        repeatEvery = 2,
        daysOfWeek = { 1, 2, 3, 4, 5 },
        startDate = "2026-02-01",
        timezone = "America/New_York",
      }

      cw:create_schedule(integration_id, schedule)

      local request = sdk.last_request(emulator)
      assert.are.same({ integrationId = integration_id, schedule = schedule }, sdk.body_of(request))
      assert.falsy(request.body:find('"endDate"', 1, true))
    end)

    it("rejects a weekly schedule without days before sending", function()
      local schedule = sdk.weekly_schedule()
      schedule.daysOfWeek = nil

      local err = sdk.rejected_before_sending(emulator, cw.create_schedule, cw, integration_id, schedule)

      assert.truthy(tostring(err.message):find("daysOfWeek", 1, true))
    end)

    it("rejects an unknown schedule type before sending", function()
      local schedule = sdk.weekly_schedule()
      schedule.type = "yearly"

      sdk.rejected_before_sending(emulator, cw.create_schedule, cw, integration_id, schedule)
    end)

    it("rejects a day of week outside 0 to 6 before sending", function()
      local schedule = sdk.weekly_schedule()
      schedule.daysOfWeek = { 1, 7 }

      sdk.rejected_before_sending(emulator, cw.create_schedule, cw, integration_id, schedule)
    end)

    it("rejects a time zone CloudWorks does not offer before sending", function()
      local schedule = sdk.weekly_schedule()
      schedule.timezone = "Mars/Olympus_Mons"

      sdk.rejected_before_sending(emulator, cw.create_schedule, cw, integration_id, schedule)
    end)
  end)

  describe("update_schedule", function()
    it("sends PUT with the integration id in the body", function()
      cw:create_schedule(integration_id, sdk.weekly_schedule())
      local changed = sdk.weekly_schedule()
      changed.time = "18:45"
      changed.daysOfWeek = { 0, 6 }

      local result = cw:update_schedule(integration_id, changed)

      local request = sdk.last_request(emulator)
      assert.are.equal("PUT", request.method)
      assert.are.equal("/integrations/" .. integration_id .. "/schedule", request.route)
      assert.are.equal("", request.query)
      assert.are.same({ integrationId = integration_id, schedule = changed }, sdk.body_of(request))
      assert.is_nil(result)
      local stored = cw:get_integration(integration_id).schedule
      assert.are.equal("18:45", stored.time)
      assert.are.same({ 0, 6 }, stored.daysOfWeek)
    end)
  end)

  describe("set_schedule_status", function()
    it("sends the status in the path and no body", function()
      cw:create_schedule(integration_id, sdk.weekly_schedule())

      local result = cw:set_schedule_status(integration_id, "disabled")

      local request = sdk.last_request(emulator)
      assert.are.equal("POST", request.method)
      assert.are.equal("/integrations/" .. integration_id .. "/schedule/status/disabled", request.route)
      assert.are.equal("", request.query)
      assert.are.equal("", request.body)
      assert.is_nil(result)
      assert.are.equal("Inactive", cw:get_integration(integration_id).schedule.status)
    end)

    it("enables a disabled schedule again", function()
      cw:create_schedule(integration_id, sdk.weekly_schedule())
      cw:set_schedule_status(integration_id, "disabled")

      cw:set_schedule_status(integration_id, "enabled")

      assert.are.equal("/integrations/" .. integration_id .. "/schedule/status/enabled",
        sdk.last_request(emulator).route)
      assert.are.equal("Active", cw:get_integration(integration_id).schedule.status)
    end)

    it("rejects a status other than enabled or disabled before sending", function()
      sdk.rejected_before_sending(emulator, cw.set_schedule_status, cw, integration_id, "paused")
    end)
  end)

  describe("delete_schedule", function()
    it("sends DELETE and the integration has no schedule", function()
      cw:create_schedule(integration_id, sdk.weekly_schedule())

      local result = cw:delete_schedule(integration_id)

      local request = sdk.last_request(emulator)
      assert.are.equal("DELETE", request.method)
      assert.are.equal("/integrations/" .. integration_id .. "/schedule", request.route)
      assert.are.equal("", request.query)
      assert.are.equal("", request.body)
      assert.is_nil(result)
      assert.is_nil(cw:get_integration(integration_id).schedule)
    end)
  end)
end)
