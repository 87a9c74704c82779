-- Failed runs: read what went wrong with get_run_error and the error dumps
-- of an import integration and of a process integration.
--
--   lua5.4 examples/failed_run.lua
--
-- The runs fail on purpose: the script sets the local emulator it starts to
-- fail the next run of each integration. The live API offers no such
-- switch, so when support.lua connects elsewhere (credentials or
-- ANAPLAN_CLOUDWORKS_URL set) the script only explains what it needs and
-- exits.
local support = dofile(((arg and arg[0] or ""):match("^(.*)/[^/]*$") or ".") .. "/support.lua")
local anaplan = require("anaplan")
local cw_models = require("anaplan.cloud_works")

local client, close, emulator = support.connect()
if emulator == nil then
  print("This example makes runs fail on purpose, which only an emulator it starts itself can do.")
  print("Unset ANAPLAN_USER_EMAIL, ANAPLAN_PASSWORD, ANAPLAN_TOKEN and ANAPLAN_CLOUDWORKS_URL to run it.")
  print("Against the live API, run an integration whose import rejects rows, then read its run")
  print("with cw:get_run_error(run_id) and cw:get_import_error_dump(run_id) as this script does.")
  close()
  os.exit(0)
end

local cw = client.cw
local created = support.tracker(cw)
local step = support.step

-- Runs an integration, waits for the end of the run and prints its outcome.
local function run_and_wait(integration_id)
  local run_id = cw:run_integration(integration_id)
  created:set_running(integration_id)
  local status = cw:wait_for_run(run_id, { interval = 0.2, timeout = 600 })
  created:set_running(nil)
  print(string.format("run %s ended: success=%s, message=%s, executionErrorCode=%s",
    run_id, tostring(status.success), tostring(status.message), tostring(status.executionErrorCode or "none")))
  return run_id, status
end

-- Prints the first lines of an error dump (CSV: the rejected rows, each
-- with the reason) and how many lines it has.
local function print_dump(dump)
  local lines = {}
  for line in dump:gmatch("[^\r\n]+") do
    lines[#lines + 1] = line
  end
  for i = 1, math.min(4, #lines) do
    print("  " .. lines[i])
  end
  print(string.format("  (%d lines in all)", #lines))
end

-- Prints the error records of a run and returns the id of the first action
-- that has a failure dump, or nil.
local function print_run_errors(run_id)
  local records = cw:get_run_error(run_id)
  if records == nil then
    print("no error records")
    return nil
  end
  local dump_action_id
  for _, record in ipairs(records) do
    for _, action in ipairs(record.errorMessages or {}) do
      print(string.format("  action %s (%s): failure dump %s", tostring(action.actionId),
        tostring(action.actionName), action.failureDumpGenerated and "generated" or "not generated"))
      for _, detail in ipairs(action.errorMessage or {}) do
        print(string.format("    %s (%s occurrence(s))", tostring(detail.localMessageText),
          tostring(detail.occurrences)))
      end
      if action.failureDumpGenerated and dump_action_id == nil then
        dump_action_id = action.actionId
      end
    end
  end
  return dump_action_id
end

local function run()
  step("Create an Azure Blob connection and an import integration")
  local connection_id, import_id = support.create_blob_import(cw, created, "failed-run-example")

  step("A clean run has no error records and no dump")
  local clean_run_id = run_and_wait(import_id)
  print_run_errors(clean_run_id)
  local got_dump, dump_err = pcall(cw.get_import_error_dump, cw, clean_run_id)
  assert(not got_dump and anaplan.errors.is(dump_err, "http") and dump_err.status == 404,
    "a clean run should have no import error dump")
  print("import error dump: HTTP " .. dump_err.status .. " (" .. tostring(dump_err.api_message) .. ")")

  step("Make the next run of the import fail, and run it")
  emulator:set_next_outcome(import_id, "failure")
  local failed_run_id, failed_status = run_and_wait(import_id)
  assert(failed_status.success == false, "the run should have failed")

  step("Read the run's error records with get_run_error")
  print_run_errors(failed_run_id)

  step("Read the rows the import rejected with get_import_error_dump")
  print_dump(cw:get_import_error_dump(failed_run_id))

  step("A process integration (the import, then an export) that fails")
  local process_integration_id = cw:create_integration(cw_models.IntegrationInput {
    name = "failed-run-example-process",
    workspace_id = support.workspace_id,
    model_id = support.model_id,
    process_id = 118000000001,
    jobs = {
      support.blob_import_job(connection_id),
      cw_models.IntegrationJobInput {
        type = "AnaplanToAzureBlob",
        sources = { cw_models.AnaplanSource { action_id = 116000000001 } },
        targets = { cw_models.FileTarget { type = "AzureBlob", connection_id = connection_id, file = "out/report.csv" } },
      },
    },
  })
  created:add("integration", process_integration_id)
  print("integration id: " .. process_integration_id)
  emulator:set_next_outcome(process_integration_id, "failure")
  local process_run_id = run_and_wait(process_integration_id)

  step("Find the failed import action, then read its dump with get_process_error_dump")
  local action_id = print_run_errors(process_run_id)
  assert(action_id ~= nil, "the failed process run should name an action with a failure dump")
  print_dump(cw:get_process_error_dump(process_run_id, action_id))
end

support.run_and_clean_up(run, created, close)
