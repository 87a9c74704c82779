-- Runs: start an integration, follow the run to its end with wait_for_run,
-- then print the integration's run history.
--
--   lua5.4 examples/watch_run.lua
--
-- Runs against a local emulator it starts itself (where a run takes three
-- seconds), or against the live API when ANAPLAN_USER_EMAIL and
-- ANAPLAN_PASSWORD are set (see support.lua).
local support = dofile(((arg and arg[0] or ""):match("^(.*)/[^/]*$") or ".") .. "/support.lua")
local cw_models = require("anaplan.cloud_works")

local client, close = support.connect { run_duration = 3 }
local cw = client.cw
local created = { connections = {}, integrations = {} }

local function step(text)
  print("\n== " .. text)
end

-- Formats lastRun, which run history gives in epoch seconds, as UTC.
local function utc(epoch_seconds)
  if math.type(epoch_seconds) ~= "integer" then
    return tostring(epoch_seconds)
  end
  return os.date("!%Y-%m-%d %H:%M:%S UTC", epoch_seconds)
end

local function run()
  step("Create an Azure Blob connection and an import integration")
  local connection_id = cw:create_connection(cw_models.ConnectionInput {
    type = "AzureBlob",
    body = cw_models.AzureBlobConnectionInput {
      name = "watch-example-blob",
      storage_account_name = "examplestorage",
      container_name = "planning-data",
      sas_token = os.getenv("AZURE_SAS_TOKEN") or "sp=r&st=2026-12-01&sig=example",
    },
  })
  created.connections[#created.connections + 1] = connection_id
  print("connection id: " .. connection_id)

  local integration_id = cw:create_integration(cw_models.IntegrationInput {
    name = "watch-example-import",
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

  step("Run it and follow the run until it ends")
  local run_id = cw:run_integration(integration_id)
  created.running = integration_id
  print("run id: " .. run_id)
  local polls = 0
  local final = cw:wait_for_run(run_id, {
    interval = 0.5,
    timeout = 900,
    on_progress = function(status)
      polls = polls + 1
      if status.endDate == nil then
        print(string.format("  poll %d: running since %s", polls, tostring(status.startDate)))
      else
        print(string.format("  poll %d: ended at %s", polls, tostring(status.endDate)))
      end
    end,
  })
  print(string.format("run ended after %d polls: success=%s, message=%s, executionErrorCode=%s",
    polls, tostring(final.success), tostring(final.message), tostring(final.executionErrorCode or "none")))
  created.running = nil

  step("Run history of the integration")
  local history = cw:get_run_history(integration_id)
  print(string.format("%d run(s)", #history))
  for _, record in ipairs(history) do
    print(string.format("  %s  %s  success=%s  %s  ended %s",
      record.id, tostring(record.triggerSource), tostring(record.success),
      tostring(record.message), utc(record.lastRun)))
  end
end

-- Deletes what run() created, newest first. A failed delete is reported and
-- the rest are still tried, so one stuck item does not leave the others.
local function clean_up()
  step("Clean up everything this script created")
  local failed = 0
  -- A run still in flight blocks the delete, as when wait_for_run timed out.
  if created.running then
    local cancelled, err = pcall(cw.cancel_integration, cw, created.running)
    print(cancelled and ("cancelled the run of " .. created.running) or ("could not cancel: " .. tostring(err)))
  end
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
  io.stderr:write("watch_run.lua failed: ", tostring(err), "\n")
  os.exit(1)
end
if not cleaned then
  os.exit(1)
end
print("\nDone.")
