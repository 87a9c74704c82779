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
local created = support.tracker(cw)
local step = support.step

-- Polls the flow every half second until its latest run has ended and is
-- not the run that started at previous_start (nil for the first run), and
-- returns that run. wait_for_run cannot follow a flow run: the run status
-- route takes integration run ids, and the emulator responds with 404 to a
-- flow run id.
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
  local connection_id, import_id = support.create_blob_import(cw, created, "flow-example")

  local process_id = cw:create_integration(cw_models.IntegrationProcessInput {
    name = "flow-example-process",
    workspace_id = support.workspace_id,
    model_id = support.model_id,
    process_id = 118000000001,
  })
  created:add("integration", process_id)
  print("process integration id: " .. process_id)

  local export_id = cw:create_integration(cw_models.IntegrationInput {
    name = "flow-example-export",
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
  created:add("integration", export_id)
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
  created:add("flow", flow_id)
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

support.run_and_clean_up(run, created, close)
