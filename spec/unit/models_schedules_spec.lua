-- Schedule models: the fields each schedule type takes, times, dates,
-- CloudWorks' time zones, and the request that carries the schedule.
local core = require("anaplan.core")
local schema = require("helpers.schema")

local INTEGRATION = "5c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f"

local problems = schema.problems

-- Returns a valid schedule of the given type, with overrides applied
-- (the string "nil" removes a field).
local function schedule(kind, overrides)
  local bases = {
    hourly = { from_time = "08:00", to_time = "18:00", repeat_every = 2, days_of_week = { 1, 2, 3, 4, 5 } },
    daily = { time = "06:30" },
    weekly = { time = "06:30", days_of_week = { 0, 6 } },
    monthly_specific_day = { time = "06:30", day_of_month = 12 },
    monthly_relative_weekday = { time = "06:30", day_of_week = 1, repeat_every = 2 },
  }
  local input = { name = "nightly", type = kind, start_date = "2026-03-01", timezone = "Europe/Paris" }
  for key, value in pairs(bases[kind]) do
    input[key] = value
  end
  for key, value in pairs(overrides or {}) do
    if value == "nil" then
      input[key] = nil
    else
      input[key] = value
    end
  end
  return input
end

describe("ScheduleInput types", function()
  local expected = {
    hourly = '{"name":"nightly","type":"hourly","fromTime":"08:00","toTime":"18:00","daysOfWeek":[1,2,3,4,5],'
      .. '"repeatEvery":2,"startDate":"2026-03-01","timezone":"Europe/Paris"}',
    daily = '{"name":"nightly","type":"daily","time":"06:30","startDate":"2026-03-01","timezone":"Europe/Paris"}',
    weekly = '{"name":"nightly","type":"weekly","time":"06:30","daysOfWeek":[0,6],"startDate":"2026-03-01",'
      .. '"timezone":"Europe/Paris"}',
    monthly_specific_day = '{"name":"nightly","type":"monthly_specific_day","time":"06:30","dayOfMonth":12,'
      .. '"startDate":"2026-03-01","timezone":"Europe/Paris"}',
    monthly_relative_weekday = '{"name":"nightly","type":"monthly_relative_weekday","time":"06:30","dayOfWeek":1,'
      .. '"repeatEvery":2,"startDate":"2026-03-01","timezone":"Europe/Paris"}',
  }
  for _, kind in ipairs({ "hourly", "daily", "weekly", "monthly_specific_day", "monthly_relative_weekday" }) do
    it("sends a " .. kind .. " schedule", function()
      assert.equal(expected[kind], core.encode("ScheduleInput", schedule(kind)))
    end)
  end

  it("rejects an unknown type", function()
    assert.same({
      "body.ScheduleInput.type Input should be one of 'hourly', 'daily', 'weekly', 'monthly_specific_day', "
        .. "'monthly_relative_weekday', not 'yearly'",
    }, problems("ScheduleInput", schedule("daily", { type = "yearly" })))
  end)

  it("rejects a field the type does not take", function()
    assert.same({
      "body.ScheduleInput.daysOfWeek Field not allowed for schedule type 'daily'",
      "body.ScheduleInput.dayOfMonth Field not allowed for schedule type 'daily'",
    }, problems("ScheduleInput", schedule("daily", { days_of_week = { 1 }, day_of_month = 3 })))
  end)

  it("rejects time in an hourly schedule", function()
    assert.same({ "body.ScheduleInput.time Field not allowed for schedule type 'hourly'" },
      problems("ScheduleInput", schedule("hourly", { time = "06:00" })))
  end)

  it("requires the fields of an hourly schedule", function()
    assert.same({
      "body.ScheduleInput.fromTime Field required for schedule type 'hourly'",
      "body.ScheduleInput.toTime Field required for schedule type 'hourly'",
      "body.ScheduleInput.daysOfWeek Field required for schedule type 'hourly'",
      "body.ScheduleInput.repeatEvery Field required for schedule type 'hourly'",
    }, problems("ScheduleInput", schedule("hourly",
      { from_time = "nil", to_time = "nil", days_of_week = "nil", repeat_every = "nil" })))
  end)

  it("requires the day of a monthly_specific_day schedule", function()
    assert.same({ "body.ScheduleInput.dayOfMonth Field required for schedule type 'monthly_specific_day'" },
      problems("ScheduleInput", schedule("monthly_specific_day", { day_of_month = "nil" })))
  end)

  it("requires the weekday of a monthly_relative_weekday schedule", function()
    assert.same({
      "body.ScheduleInput.dayOfWeek Field required for schedule type 'monthly_relative_weekday'",
      "body.ScheduleInput.repeatEvery Field required for schedule type 'monthly_relative_weekday'",
    }, problems("ScheduleInput", schedule("monthly_relative_weekday", { day_of_week = "nil", repeat_every = "nil" })))
  end)

  it("allows daysOfWeek in a monthly_relative_weekday schedule", function()
    local out = core.validate("ScheduleInput", schedule("monthly_relative_weekday", { days_of_week = { 1 } }))
    assert.same({ 1 }, out.daysOfWeek)
  end)

  it("does not report a field as missing when its value was invalid", function()
    assert.same({ "body.ScheduleInput.time Input should be a time as 'HH:MM' from 00:00 to 23:59, not '6:30'" },
      problems("ScheduleInput", schedule("daily", { time = "6:30" })))
  end)
end)

describe("ScheduleInput values", function()
  it("rejects times out of range", function()
    for _, value in ipairs({ "24:00", "12:60", "1230", "12:3", "ab:cd", "12:30:00" }) do
      assert.same({ "body.ScheduleInput.time Input should be a time as 'HH:MM' from 00:00 to 23:59, not '" .. value .. "'" },
        problems("ScheduleInput", schedule("daily", { time = value })))
    end
  end)

  it("accepts the first and last minute of the day", function()
    assert.equal("00:00", core.validate("ScheduleInput", schedule("daily", { time = "00:00" })).time)
    assert.equal("23:59", core.validate("ScheduleInput", schedule("daily", { time = "23:59" })).time)
  end)

  it("requires fromTime before toTime", function()
    assert.same({ "body.ScheduleInput.toTime Input should be later than fromTime 18:00, not '08:00'" },
      problems("ScheduleInput", schedule("hourly", { from_time = "18:00", to_time = "08:00" })))
    assert.same({ "body.ScheduleInput.toTime Input should be later than fromTime 08:00, not '08:00'" },
      problems("ScheduleInput", schedule("hourly", { to_time = "08:00" })))
  end)

  it("rejects dates in another format", function()
    assert.same({ "body.ScheduleInput.startDate Input should be a date as 'YYYY-MM-DD', not '01/03/2026'" },
      problems("ScheduleInput", schedule("daily", { start_date = "01/03/2026" })))
  end)

  it("rejects dates that do not exist", function()
    for _, value in ipairs({ "2027-02-29", "2100-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00", "0000-01-01" }) do
      assert.same({ "body.ScheduleInput.startDate Input should be a date that exists on the calendar, not '" .. value .. "'" },
        problems("ScheduleInput", schedule("daily", { start_date = value })))
    end
  end)

  it("accepts leap days of leap years", function()
    assert.equal("2028-02-29", core.validate("ScheduleInput", schedule("daily", { start_date = "2028-02-29" })).startDate)
    assert.equal("2000-02-29", core.validate("ScheduleInput", schedule("daily", { start_date = "2000-02-29" })).startDate)
  end)

  it("sends an end date when given", function()
    local json = core.encode("ScheduleInput", schedule("daily", { end_date = "2026-12-31" }))
    assert.truthy(json:find('"startDate":"2026-03-01","endDate":"2026-12-31","timezone"', 1, true))
  end)

  it("rejects an end date before the start date", function()
    assert.same({ "body.ScheduleInput.endDate Input should be on or after startDate 2026-03-01, not '2026-02-28'" },
      problems("ScheduleInput", schedule("daily", { end_date = "2026-02-28" })))
  end)

  it("accepts an end date on the start date", function()
    assert.equal("2026-03-01", core.validate("ScheduleInput", schedule("daily", { end_date = "2026-03-01" })).endDate)
  end)

  it("limits repeatEvery to 24 hours for hourly", function()
    assert.equal(24, core.validate("ScheduleInput", schedule("hourly", { repeat_every = 24 })).repeatEvery)
    assert.same({ "body.ScheduleInput.repeatEvery Input should be from 1 to 24 for schedule type 'hourly', not 25" },
      problems("ScheduleInput", schedule("hourly", { repeat_every = 25 })))
    assert.same({ "body.ScheduleInput.repeatEvery Input should be from 1 to 24 for schedule type 'hourly', not 0" },
      problems("ScheduleInput", schedule("hourly", { repeat_every = 0 })))
  end)

  it("limits repeatEvery to the fifth weekday for monthly_relative_weekday", function()
    assert.equal(5, core.validate("ScheduleInput", schedule("monthly_relative_weekday", { repeat_every = 5 })).repeatEvery)
    assert.same({
      "body.ScheduleInput.repeatEvery Input should be from 1 to 5 for schedule type 'monthly_relative_weekday', not 6",
    }, problems("ScheduleInput", schedule("monthly_relative_weekday", { repeat_every = 6 })))
  end)

  it("checks days of the week", function()
    assert.same({ "body.ScheduleInput.daysOfWeek Array should have at least 1 item, not 0" },
      problems("ScheduleInput", schedule("weekly", { days_of_week = {} })))
    assert.same({ "body.ScheduleInput.daysOfWeek.2 Input should be from 0 to 6, not 7" },
      problems("ScheduleInput", schedule("weekly", { days_of_week = { 0, 7 } })))
    assert.same({ "body.ScheduleInput.daysOfWeek.3 Duplicate of item 1" },
      problems("ScheduleInput", schedule("weekly", { days_of_week = { 2, 4, 2.0 } })))
  end)

  it("checks the day of the month and of the week", function()
    assert.same({ "body.ScheduleInput.dayOfMonth Input should be from 1 to 31, not 32" },
      problems("ScheduleInput", schedule("monthly_specific_day", { day_of_month = 32 })))
    assert.same({ "body.ScheduleInput.dayOfWeek Input should be from 0 to 6, not -1" },
      problems("ScheduleInput", schedule("monthly_relative_weekday", { day_of_week = -1 })))
  end)

  it("requires name, type, start date and time zone", function()
    assert.same({
      "body.ScheduleInput.name Field required",
      "body.ScheduleInput.type Field required",
      "body.ScheduleInput.startDate Field required",
      "body.ScheduleInput.timezone Field required",
    }, problems("ScheduleInput", {}))
  end)
end)

describe("ScheduleInput time zones", function()
  local zones = {
    "Etc/GMT+12", "US/Samoa", "Pacific/Honolulu", "Pacific/Marquesas", "US/Aleutian", "America/Anchorage",
    "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York", "America/Sao_Paulo",
    "Canada/Newfoundland", "America/Nuuk", "Atlantic/Cape_Verde", "Greenwich", "Europe/London", "Europe/Paris",
    "Asia/Tel_Aviv", "Europe/Moscow", "Asia/Dubai", "Asia/Kabul", "Asia/Karachi", "Asia/Kolkata",
    "Asia/Kathmandu", "Asia/Dhaka", "Asia/Rangoon", "Asia/Jakarta", "Asia/Hong_Kong", "Australia/Eucla",
    "Asia/Tokyo", "Australia/Adelaide", "Australia/Brisbane", "Australia/Melbourne", "Australia/Perth",
    "Australia/Lord_Howe", "Pacific/Norfolk", "Pacific/Auckland", "Pacific/Chatham",
  }

  it("accepts each CloudWorks time zone", function()
    for _, zone in ipairs(zones) do
      assert.equal(zone, core.validate("ScheduleInput", schedule("daily", { timezone = zone })).timezone)
    end
  end)

  it("rejects another zone and lists the accepted ones", function()
    local quoted = {}
    for i, zone in ipairs(zones) do
      quoted[i] = "'" .. zone .. "'"
    end
    assert.same({
      "body.ScheduleInput.timezone Input should be one of " .. table.concat(quoted, ", ") .. ", not 'Europe/Berlin'",
    }, problems("ScheduleInput", schedule("daily", { timezone = "Europe/Berlin" })))
  end)
end)

describe("ScheduleRequest", function()
  it("sends the integration id beside the schedule", function()
    assert.equal('{"integrationId":"' .. INTEGRATION .. '","schedule":{"name":"nightly","type":"daily","time":"06:30",'
      .. '"startDate":"2026-03-01","timezone":"Europe/Paris"}}',
      core.encode("ScheduleRequest", { integration_id = INTEGRATION:upper(), schedule = schedule("daily") }))
  end)

  it("locates schedule problems below schedule", function()
    assert.same({ "body.ScheduleRequest.schedule.time Field required for schedule type 'daily'" },
      problems("ScheduleRequest", { integration_id = INTEGRATION, schedule = schedule("daily", { time = "nil" }) }))
  end)

  it("requires the integration id", function()
    assert.same({ "body.ScheduleRequest.integrationId Field required" },
      problems("ScheduleRequest", { schedule = schedule("daily") }))
  end)
end)
