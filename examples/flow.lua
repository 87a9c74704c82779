-- Flows: chain three integrations into a flow, run every step, then run
-- only one step, and list the flows.
--
--   lua5.4 examples/flow.lua
--
-- Runs against a local emulator it starts itself, or against the live API
-- when ANAPLAN_USER_EMAIL and ANAPLAN_PASSWORD are set (see support.lua).
local support = dofile(((arg and arg[0] or ""):match("^(.*)/[^/]*$") or ".") .. "/support.lua")
local anaplan = require("anaplan")
local cw_models = require("anaplan.cloud_works")

local client, close, emulator = support.connect { run_duration = 0.5 }
local cw = client.cw
local created = { connections = {}, integrations = {}, flows = {} }

local function step(text)
  print("\n== " .. text)
end

-- Polls the flow every half second until its latest run has ended and is
-- not the run that started at previous_start (nil for the first run), and
-- returns that run. wait_for_run cannot follow a flow run, because the run
-- status route does not know flow run ids (the emulator answers 404).
local function wait_for_flow(flow_id, previous_start, timeout)
  local deadline = os.time() + timeout
  while true do
    local latest = cw.flows:get_flow(flow_id).latestRun
    if latest and latest.endDate and latest.startDate ~= previous_start then
      return latest
    end
    if os.time() >= deadline then
      error(string.format("flow %s did not finish within %d s", flow_id, timeout))
    end
    os.execute("sleep 0.5")
  end
end

local function run()
  step("Create a connection and three integrations: import, process, export")
  local connection_id = cw:create_connection(cw_models.ConnectionInput {
    type = "AzureBlob",
    body = cw_models.AzureBlobConnectionInput {
      name = "flow-example-blob",
      storage_account_name = "examplestorage",
      container_name = "planning-data",
      sas_token = os.getenv("AZURE_SAS_TOKEN") or "sp=r&st=2026-12-01&sig=example",
    },
  })
  created.connections[#created.connections + 1] = connection_id
  print("connection id: " .. connection_id)

  local import_id = cw:create_integration(cw_models.IntegrationInput {
    name = "flow-example-1-import",
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
  created.integrations[#created.integrations + 1] = import_id
  print("import integration id: " .. import_id)

  local process_id = cw:create_integration(cw_models.IntegrationProcessInput {
    name = "flow-example-2-process",
    workspace_id = support.workspace_id,
    model_id = support.model_id,
    process_id = 118000000001,
  })
  created.integrations[#created.integrations + 1] = process_id
  print("process integration id: " .. process_id)

  local export_id = cw:create_integration(cw_models.IntegrationInput {
    name = "flow-example-3-export",
    workspace_id = support.workspace_id,
    model_id = support.model_id,
    jobs = {
      cw_models.IntegrationJobInput {
        type = "AnaplanToAzureBlob",
        sources = { cw_models.AnaplanSource { action_id = 116000000001 } },
        targets = { cw_models.FileTarget { type = "AzureBlob", connection_id = connection_id, file = "out/report.csv" } },
      },
    },
  })
  created.integrations[#created.integrations + 1] = export_id
  print("export integration id: " .. export_id)

  step("A flow whose last step lacks dependsOn is rejected before anything is sent")
  -- The live API would store this flow, corrupt, so the SDK checks that
  -- every step after the first depends on another step of the flow.
  local ok, err = pcall(cw.flows.create_flow, cw.flows, {
    name = "flow-example-corrupt",
    version = "2.0",
    type = "IntegrationFlow",
    steps = {
      { type = "Integration", referrer = import_id, dependsOn = {} },
      { type = "Integration", referrer = process_id, dependsOn = { import_id } },
      { type = "Integration", referrer = export_id },
    },
  })
  assert(not ok and anaplan.errors.is(err, "validation"), "the flow without dependsOn should be rejected")
  for _, problem in ipairs(err.errors) do
    print(string.format("  %s %s", problem.loc, problem.msg))
  end
  if emulator then
    for _, request in ipairs(emulator:requests()) do
      assert(not request.path:find("/integrationflows", 1, true), "the rejected flow reached the emulator")
    end
    print("  the emulator received no flow request")
  end

  step("Create the flow: import, then process, then export")
  local flow_id = cw.flows:create_flow(cw_models.FlowInput {
    name = "flow-example",
    steps = {
      cw_models.FlowStepInput { referrer = import_id },
      cw_models.FlowStepInput { referrer = process_id, depends_on = { import_id } },
      cw_models.FlowStepInput { referrer = export_id, depends_on = { process_id } },
    },
  })
  created.flows[#created.flows + 1] = flow_id
  print("flow id: " .. flow_id)
  for i, flow_step in ipairs(cw.flows:get_flow(flow_id).steps) do
    local depends_on = flow_step.dependsOn or {}
    print(string.format("  step %d: %s (%s), depends on %s", i, tostring(flow_step.name), tostring(flow_step.type),
      #depends_on > 0 and table.concat(depends_on, ", ") or "nothing"))
  end

  step("Run every step and wait for the flow to end")
  local run_id = cw.flows:run_flow(flow_id)
  print("flow run id: " .. run_id)
  local latest = wait_for_flow(flow_id, nil, 900)
  print(string.format("flow run ended: success=%s, message=%s", tostring(latest.success), tostring(latest.message)))

  step("Run only the export step")
  run_id = cw.flows:run_flow(flow_id, { only_steps = { export_id } })
  print("flow run id: " .. run_id)
  latest = wait_for_flow(flow_id, latest.startDate, 900)
  print(string.format("flow run ended: success=%s, message=%s", tostring(latest.success), tostring(latest.message)))
  for _, integration_id in ipairs { import_id, process_id, export_id } do
    print(string.format("  %s has run %d time(s)", integration_id, #cw:get_run_history(integration_id)))
  end

  step("List flows")
  for _, flow in ipairs(cw.flows:list_flows()) do
    print(string.format("  %s  %s  %s step(s)", tostring(flow.id), tostring(flow.name), tostring(flow.stepsCount)))
  end
end

-- Deletes what run() created, newest first and the flow before the
-- integrations it uses. A failed delete is reported and the rest are still
-- tried, so one stuck item does not leave the others.
local function clean_up()
  step("Clean up everything this script created")
  local failed = 0
  local function delete(kind, target, method, id)
    local deleted, err = pcall(method, target, id)
    if deleted then
      print(string.format("deleted %s %s", kind, id))
    else
      failed = failed + 1
      io.stderr:write(string.format("failed to delete %s %s: %s\n", kind, id, tostring(err)))
    end
  end
  for i = #created.flows, 1, -1 do
    delete("flow", cw.flows, cw.flows.delete_flow, created.flows[i])
  end
  for i = #created.integrations, 1, -1 do
    delete("integration", cw, cw.delete_integration, created.integrations[i])
  end
  for i = #created.connections, 1, -1 do
    delete("connection", cw, cw.delete_connection, created.connections[i])
  end
  return failed == 0
end

local ok, err = pcall(run)
local cleaned = clean_up()
close()
if not ok then
  io.stderr:write("flow.lua failed: ", tostring(err), "\n")
  os.exit(1)
end
if not cleaned then
  os.exit(1)
end
print("\nDone.")
