local fixture = require("emulator.cloudworks_fixture")

local function daily(overrides)
  local schedule = {
    name = "every morning",
    type = "daily",
    time = "06:30",
    startDate = "2026-07-01",
    endDate = "2026-12-31",
    timezone = "Europe/Paris",
  }
  for key, value in pairs(overrides or {}) do
    schedule[key] = value
  end
  return schedule
end

-- A valid schedule of each type, with only the fields that type needs.
local VALID = {
  hourly = { fromTime = "08:00", toTime = "18:00", repeatEvery = 2, daysOfWeek = { 1, 2, 3, 4, 5 } },
  daily = { time = "06:30" },
  weekly = { time = "06:30", daysOfWeek = { 0, 6 } },
  monthly_specific_day = { time = "06:30", dayOfMonth = 12 },
  monthly_relative_weekday = { time = "06:30", dayOfWeek = 1, repeatEvery = 2 },
}

local function schedule_of(schedule_type)
  local schedule = { name = schedule_type, type = schedule_type, startDate = "2026-07-01", timezone = "Asia/Tokyo" }
  for key, value in pairs(VALID[schedule_type]) do
    schedule[key] = value
  end
  return schedule
end

describe("CloudWorks schedules", function()
  local env, integration_id, path

  before_each(function()
    env = fixture.new()
    integration_id = env:import_integration()
    path = "/integrations/" .. integration_id .. "/schedule"
  end)

  local function get_schedule()
    local _, response = env:call("GET", "/integrations/" .. integration_id)
    return response.integration.schedule
  end

  describe("create", function()
    it("stores an Active schedule on the integration", function()
      local status, response = env:call("POST", path, { integrationId = integration_id, schedule = daily() })
      assert.are.equal(200, status)
      assert.are.same({ code = 200, message = "Success" }, response.status)
      local schedule = get_schedule()
      assert.are.equal("Active", schedule.status)
      assert.are.equal("06:30", schedule.time)
      assert.are.equal("Europe/Paris", schedule.timezone)
    end)

    it("accepts each schedule type with the fields it needs", function()
      for schedule_type in pairs(VALID) do
        local id = env:import_integration(schedule_type)
        local status, response = env:call("POST", "/integrations/" .. id .. "/schedule", { integrationId = id, schedule = schedule_of(schedule_type) })
        assert.are.equal(200, status, schedule_type .. ": " .. fixture.details(response or {}))
      end
    end)

    it("rejects each schedule type without each field it needs", function()
      for schedule_type, fields in pairs(VALID) do
        for field in pairs(fields) do
          local schedule = schedule_of(schedule_type)
          schedule[field] = nil
          local status, response = env:call("POST", path, { integrationId = integration_id, schedule = schedule })
          assert.are.equal(400, status, schedule_type .. " without " .. field)
          assert.matches("body.schedule." .. field .. ": is required", fixture.details(response), 1, true)
        end
      end
    end)

    it("rejects a schedule without name, type, startDate or timezone", function()
      for _, field in ipairs({ "name", "type", "startDate", "timezone" }) do
        local schedule = daily()
        schedule[field] = nil
        local status, response = env:call("POST", path, { integrationId = integration_id, schedule = schedule })
        assert.are.equal(400, status, field)
        assert.matches("body.schedule." .. field .. ": is required", fixture.details(response), 1, true)
      end
    end)

    it("accepts a schedule without endDate", function()
      local schedule = daily()
      schedule.endDate = nil
      local status = env:call("POST", path, { integrationId = integration_id, schedule = schedule })
      assert.are.equal(200, status)
      assert.is_nil(get_schedule().endDate)
    end)

    it("accepts a body without integrationId", function()
      local status = env:call("POST", path, { schedule = daily() })
      assert.are.equal(200, status)
    end)

    it("rejects an integrationId that differs from the path", function()
      local status, response = env:call("POST", path, { integrationId = string.rep("e", 32), schedule = daily() })
      assert.are.equal(400, status)
      assert.matches("body.integrationId: must match the integration id in the path", fixture.details(response), 1, true)
    end)

    it("rejects malformed times, dates and days", function()
      local weekly = schedule_of("weekly")
      weekly.daysOfWeek = { 7 }
      local cases = {
        { daily({ time = "25:00" }), "body.schedule.time: must be a 24-hour time HH:MM" },
        { daily({ startDate = "2026-02-30" }), "body.schedule.startDate: must be a calendar date" },
        { daily({ endDate = "2026-06-01" }), "body.schedule.endDate: must not be before startDate" },
        { daily({ timezone = "Mars/Olympus" }), "body.schedule.timezone: must be one of" },
        { daily({ type = "yearly" }), "body.schedule.type: must be one of" },
        { weekly, "body.schedule.daysOfWeek[0]: must be between 0 and 6" },
      }
      for _, case in ipairs(cases) do
        local status, response = env:call("POST", path, { integrationId = integration_id, schedule = case[1] })
        assert.are.equal(400, status, case[2])
        assert.matches(case[2], fixture.details(response), 1, true)
      end
    end)

    it("rejects a repeated day of the week", function()
      local weekly = schedule_of("weekly")
      weekly.daysOfWeek = { 2, 4, 2 }
      local status, response = env:call("POST", path, { integrationId = integration_id, schedule = weekly })
      assert.are.equal(400, status)
      assert.are.same({ "body.schedule.daysOfWeek[2]: repeats an earlier day" }, response.details)
    end)

    it("rejects a second schedule", function()
      env:call("POST", path, { integrationId = integration_id, schedule = daily() })
      local status = env:call("POST", path, { integrationId = integration_id, schedule = daily() })
      assert.are.equal(400, status)
    end)

    it("responds with 404 for an unknown integration", function()
      local other = "/integrations/" .. string.rep("f", 32) .. "/schedule"
      local status = env:call("POST", other, { schedule = daily() })
      assert.are.equal(404, status)
    end)
  end)

  describe("PUT", function()
    it("replaces the schedule and keeps its status", function()
      env:call("POST", path, { integrationId = integration_id, schedule = daily() })
      env:call("POST", path .. "/status/disabled")
      local status = env:call("PUT", path, { integrationId = integration_id, schedule = schedule_of("weekly") })
      assert.are.equal(200, status)
      local schedule = get_schedule()
      assert.are.equal("weekly", schedule.type)
      assert.are.same({ 0, 6 }, schedule.daysOfWeek)
      assert.are.equal("Inactive", schedule.status)
    end)

    it("rejects a body without integrationId", function()
      env:call("POST", path, { integrationId = integration_id, schedule = daily() })
      local status, response = env:call("PUT", path, { schedule = daily() })
      assert.are.equal(400, status)
      assert.matches("body.integrationId: is required", fixture.details(response), 1, true)
    end)

    it("rejects an integrationId that differs from the path", function()
      env:call("POST", path, { integrationId = integration_id, schedule = daily() })
      local status = env:call("PUT", path, { integrationId = string.rep("e", 32), schedule = daily() })
      assert.are.equal(400, status)
    end)

    it("responds with 404 when there is no schedule yet", function()
      local status, response = env:call("PUT", path, { integrationId = integration_id, schedule = daily() })
      assert.are.equal(404, status)
      assert.are.equal("Schedule not found", response.status.message)
    end)
  end)

  describe("status", function()
    it("switches between Active and Inactive", function()
      env:call("POST", path, { integrationId = integration_id, schedule = daily() })
      local status = env:call("POST", path .. "/status/disabled")
      assert.are.equal(200, status)
      assert.are.equal("Inactive", get_schedule().status)
      env:call("POST", path .. "/status/enabled")
      assert.are.equal("Active", get_schedule().status)
    end)

    it("responds with 404 when there is no schedule", function()
      local status = env:call("POST", path .. "/status/enabled")
      assert.are.equal(404, status)
    end)

    it("responds with 404 for a status other than enabled or disabled", function()
      env:call("POST", path, { integrationId = integration_id, schedule = daily() })
      local status = env:call("POST", path .. "/status/paused")
      assert.are.equal(404, status)
    end)
  end)

  describe("DELETE", function()
    it("removes the schedule from the integration", function()
      env:call("POST", path, { integrationId = integration_id, schedule = daily() })
      local status = env:call("DELETE", path)
      assert.are.equal(200, status)
      assert.is_nil(get_schedule())
    end)

    it("responds with 404 when there is no schedule", function()
      local status = env:call("DELETE", path)
      assert.are.equal(404, status)
    end)
  end)

  it("shows the schedule in the list and the run history", function()
    env:call("POST", path, { integrationId = integration_id, schedule = daily() })
    local _, list = env:call("GET", "/integrations")
    local _, history = env:call("GET", "/integrations/runs/" .. integration_id)
    assert.are.equal("every morning", list.integrations[1].schedule.name)
    assert.are.equal("every morning", history.history_of_runs.schedule.name)
  end)
end)
