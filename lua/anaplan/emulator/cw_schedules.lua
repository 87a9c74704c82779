-- CloudWorks integration schedules: create, PUT, enable or disable, DELETE.
-- An integration has at most one schedule; it shows on the integration with
-- `status` "Active" or "Inactive".
--
-- NOTE: the emulator stores schedules but never starts scheduled runs, and
-- does not compute nextScheduleDate.
local common = require("anaplan.emulator.cw_common")

local schedules = {}

-- The time zones CloudWorks offers for schedules, as the Python anaplan-sdk
-- lists them in its Timezone type.
local TIMEZONES = {
  "Etc/GMT+12", "US/Samoa", "Pacific/Honolulu", "Pacific/Marquesas", "US/Aleutian",
  "America/Anchorage", "America/Los_Angeles", "America/Denver", "America/Chicago",
  "America/New_York", "America/Sao_Paulo", "Canada/Newfoundland", "America/Nuuk",
  "Atlantic/Cape_Verde", "Greenwich", "Europe/London", "Europe/Paris", "Asia/Tel_Aviv",
  "Europe/Moscow", "Asia/Dubai", "Asia/Kabul", "Asia/Karachi", "Asia/Kolkata",
  "Asia/Kathmandu", "Asia/Dhaka", "Asia/Rangoon", "Asia/Jakarta", "Asia/Hong_Kong",
  "Australia/Eucla", "Asia/Tokyo", "Australia/Adelaide", "Australia/Brisbane",
  "Australia/Melbourne", "Australia/Perth", "Australia/Lord_Howe", "Pacific/Norfolk",
  "Pacific/Auckland", "Pacific/Chatham",
}

local SCHEDULE_TYPES = { "hourly", "daily", "weekly", "monthly_specific_day", "monthly_relative_weekday" }

-- The fields each schedule type needs besides name, type, startDate and
-- timezone. Fields another type needs are dropped from a stored schedule.
local TYPE_FIELDS = {
  hourly = { "fromTime", "toTime", "repeatEvery", "daysOfWeek" },
  daily = { "time" },
  weekly = { "time", "daysOfWeek" },
  monthly_specific_day = { "time", "dayOfMonth" },
  monthly_relative_weekday = { "time", "dayOfWeek", "repeatEvery" },
}

-- repeatEvery counts hours for hourly schedules and picks the nth weekday
-- of the month for monthly_relative_weekday ones.
-- NOTE: the API states no limits for it. 24 and 5 are the largest values
-- that make sense, and the SDK's validator uses the same ones.
local REPEAT_EVERY_MAX = { hourly = 24, monthly_relative_weekday = 5 }

-- Days of the week are numbered 0 (Sunday) to 6.
local DAY_OF_WEEK_SPEC = { type = "integer", required = true, min = 0, max = 6 }

local function field_spec(key, schedule_type)
  if key == "repeatEvery" then
    return { type = "integer", required = true, min = 1, max = REPEAT_EVERY_MAX[schedule_type] }
  elseif key == "daysOfWeek" then
    return { type = "array", required = true, min_items = 1, max_items = 7 }
  elseif key == "dayOfMonth" then
    return { type = "integer", required = true, min = 1, max = 31 }
  elseif key == "dayOfWeek" then
    return DAY_OF_WEEK_SPEC
  end
  return { type = "string", required = true, test = common.is_clock_time, description = "a 24-hour time HH:MM" }
end

local function date_spec(required)
  return {
    type = "string",
    required = required,
    test = function(text)
      return common.parse_date(text) ~= nil
    end,
    description = "a calendar date YYYY-MM-DD",
  }
end

-- Checks a Schedule object and returns its stored form, or nil.
local function check_schedule(check, value, path)
  local schedule = check:value(value, path, { type = "object", required = true })
  if not schedule then
    return nil
  end
  local stored = {
    name = check:field(schedule, "name", path, { type = "string", required = true }),
    type = check:field(schedule, "type", path, { type = "string", required = true, enum = SCHEDULE_TYPES }),
    timezone = check:field(schedule, "timezone", path, { type = "string", required = true, enum = TIMEZONES }),
    startDate = check:field(schedule, "startDate", path, date_spec(true)),
    -- An open-ended schedule has no endDate.
    endDate = check:field(schedule, "endDate", path, date_spec(false)),
  }
  if stored.startDate and stored.endDate and stored.endDate < stored.startDate then
    check:add(path .. ".endDate", "must not be before startDate")
  end

  for _, key in ipairs(TYPE_FIELDS[stored.type] or {}) do
    local field = check:field(schedule, key, path, field_spec(key, stored.type))
    if key == "daysOfWeek" and field then
      field = check:values(field, path .. ".daysOfWeek", DAY_OF_WEEK_SPEC, "repeats an earlier day")
    end
    stored[key] = field
  end
  if not check:ok() then
    return nil
  end
  return stored
end

-- Checks {"integrationId", "schedule"}. The body's integrationId must match
-- the path; only PUT requires it, as on the live API.
local function check_request(check, ctx, integration_id_required)
  local body = check:body(ctx.req)
  if not body then
    return nil
  end
  local integration_id = check:field(body, "integrationId", "body", {
    type = "string",
    required = integration_id_required,
    pattern = common.LOWER_HEX_ID,
    description = common.ID_DESCRIPTION,
  })
  if integration_id and integration_id ~= ctx.params.integrationId then
    check:add("body.integrationId", "must match the integration id in the path")
  end
  return check_schedule(check, body.schedule, "body.schedule")
end

-- POST /integrations/{integrationId}/schedule: the schedule starts Active.
schedules.create = common.with_integration(function(state, ctx, integration)
  local check = common.checker()
  local schedule = check_request(check, ctx, false)
  if not schedule then
    return common.invalid_body(check.problems)
  end
  if integration.schedule then
    return common.invalid_body({ "body.schedule: the integration already has a schedule; update it with PUT" })
  end
  schedule.status = "Active"
  integration.schedule = schedule
  return common.success()
end)

-- PUT /integrations/{integrationId}/schedule: replaces the schedule and
-- keeps its status.
schedules.update = common.with_integration(function(state, ctx, integration)
  local check = common.checker()
  local schedule = check_request(check, ctx, true)
  if not schedule then
    return common.invalid_body(check.problems)
  end
  if not integration.schedule then
    return common.not_found("Schedule")
  end
  schedule.status = integration.schedule.status
  integration.schedule = schedule
  return common.success()
end)

local STATUS_NAMES = { enabled = "Active", disabled = "Inactive" }

-- POST /integrations/{integrationId}/schedule/status/{enabled|disabled}
schedules.set_status = common.with_integration(function(state, ctx, integration)
  local status = STATUS_NAMES[ctx.params.status]
  if not status then
    return common.not_found("Schedule status " .. ctx.params.status)
  end
  if not integration.schedule then
    return common.not_found("Schedule")
  end
  integration.schedule.status = status
  return common.success()
end)

-- DELETE /integrations/{integrationId}/schedule
schedules.delete = common.with_integration(function(state, ctx, integration)
  if not integration.schedule then
    return common.not_found("Schedule")
  end
  integration.schedule = nil
  return common.success()
end)

return schedules
