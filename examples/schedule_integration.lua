-- Schedules: give an import integration a weekly schedule, disable and
-- re-enable it, switch it to daily, then delete it.
--
--   lua5.4 examples/schedule_integration.lua
--
-- Runs against a local emulator it starts itself, or against the live API
-- when ANAPLAN_USER_EMAIL and ANAPLAN_PASSWORD are set (see support.lua).
local support = dofile(((arg and arg[0] or ""):match("^(.*)/[^/]*$") or ".") .. "/support.lua")
local cw_models = require("anaplan.cloud_works")

local client, close = support.connect()
local cw = client.cw
local created = support.tracker(cw)
local step = support.step

-- Prints the schedule that get_integration returns, or "no schedule".
local function show_schedule(integration_id)
  local schedule = cw:get_integration(integration_id).schedule
  if schedule == nil then
    print("  no schedule")
    return
  end
  local days = schedule.daysOfWeek and table.concat(schedule.daysOfWeek, ",") or "-"
  print(string.format("  %s: type=%s time=%s days=%s from %s until %s (%s), status=%s",
    tostring(schedule.name), tostring(schedule.type), tostring(schedule.time), days,
    tostring(schedule.startDate), schedule.endDate or "no end date", tostring(schedule.timezone),
    tostring(schedule.status)))
end

local function run()
  step("Create an Azure Blob connection and an import integration")
  local _, integration_id = support.create_blob_import(cw, created, "schedule-example")

  -- Dates are computed from today so the schedule never starts in the past.
  local now = os.time()
  local start_date = os.date("!%Y-%m-%d", now + 24 * 3600)
  local end_date = os.date("!%Y-%m-%d", now + 180 * 24 * 3600)

  step("Schedule it weekly: Monday and Thursday at 06:30, Paris time")
  local weekly = cw_models.ScheduleInput {
    name = "weekly sales load",
    type = "weekly",
    time = "06:30",
    days_of_week = { 1, 4 },
    start_date = start_date,
    end_date = end_date,
    timezone = "Europe/Paris",
  }
  cw:create_schedule(integration_id, weekly)
  show_schedule(integration_id)

  step("Disable the schedule, then enable it again")
  cw:set_schedule_status(integration_id, "disabled")
  show_schedule(integration_id)
  cw:set_schedule_status(integration_id, "enabled")
  show_schedule(integration_id)

  step("Switch to a daily run at 22:00 with update_schedule")
  cw:update_schedule(integration_id, cw_models.ScheduleInput {
    name = "daily sales load",
    type = "daily",
    time = "22:00",
    start_date = start_date,
    timezone = "Europe/Paris",
  })
  show_schedule(integration_id)

  step("Delete the schedule")
  cw:delete_schedule(integration_id)
  show_schedule(integration_id)
end

support.run_and_clean_up(run, created, close)
