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
local created = { connections = {}, integrations = {} }

local function step(text)
  print("\n== " .. text)
end

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
  local connection_id = cw:create_connection(cw_models.ConnectionInput {
    type = "AzureBlob",
    body = cw_models.AzureBlobConnectionInput {
      name = "schedule-example-blob",
      storage_account_name = "examplestorage",
      container_name = "planning-data",
      sas_token = os.getenv("AZURE_SAS_TOKEN") or "sp=r&st=2026-12-01&sig=example",
    },
  })
  created.connections[#created.connections + 1] = connection_id
  print("connection id: " .. connection_id)

  local integration_id = cw:create_integration(cw_models.IntegrationInput {
    name = "schedule-example-import",
    workspace_id = support.workspace_id,
    model_id = support.model_id,
    jobs = {
      cw_models.IntegrationJobInput {
        type = "AzureBlobToAnaplan",
        sources = { cw_models.FileSource { type = "AzureBlob", connection_id = connection_id, file = "in/sales.csv" } },
        targets = { cw_models.AnaplanTarget { action_id = 112000000001, file_id = 113000000001 } },
      },
    },
  })
  created.integrations[#created.integrations + 1] = integration_id
  print("integration id: " .. integration_id)

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

-- Deletes what run() created, newest first. A failed delete is reported and
-- the rest are still tried, so one stuck item does not leave the others.
local function clean_up()
  step("Clean up everything this script created")
  local failed = 0
  local function delete(kind, method, id)
    local deleted, err = pcall(method, cw, id)
    if deleted then
      print(string.format("deleted %s %s", kind, id))
    else
      failed = failed + 1
      io.stderr:write(string.format("failed to delete %s %s: %s\n", kind, id, tostring(err)))
    end
  end
  for i = #created.integrations, 1, -1 do
    delete("integration", cw.delete_integration, created.integrations[i])
  end
  for i = #created.connections, 1, -1 do
    delete("connection", cw.delete_connection, created.connections[i])
  end
  return failed == 0
end

local ok, err = pcall(run)
local cleaned = clean_up()
close()
if not ok then
  io.stderr:write("schedule_integration.lua failed: ", tostring(err), "\n")
  os.exit(1)
end
if not cleaned then
  os.exit(1)
end
print("\nDone.")
