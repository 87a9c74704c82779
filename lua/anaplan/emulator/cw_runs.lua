-- Integration runs: start, cancel, status, history, error records and dumps.
local json = require("anaplan.emulator.json")
local common = require("anaplan.emulator.cw_common")
local model = require("anaplan.emulator.cw_run_model")

local runs = {}

-- Returns the next queued outcome of the integration, or "success".
local function next_outcome(state, integration_id)
  local queue = state.outcomes[integration_id]
  if not queue or #queue == 0 then
    return "success"
  end
  return table.remove(queue, 1)
end

-- Starts a run of `integration` at `start` and returns it. The outcome is
-- taken from the integration's queue now, when the run starts.
function runs.start(state, integration, start, user_name, flow_run_id)
  local run = {
    id = common.new_id(state),
    seq = common.next_seq(state),
    integration_id = integration.id,
    trace_id = common.new_id(state),
    error_id = common.new_id(state),
    task_id = common.new_id(state),
    start = start,
    finish = start + state.run_duration,
    outcome = next_outcome(state, integration.id),
    kind = integration.integration_type,
    actions = model.actions_of(integration),
    user_name = user_name,
    -- NOTE: flow steps report "manual" as well, but the API description
    -- lists "manual_inf" for a run that a user started from within a flow.
    trigger_source = "manual",
    -- NOTE: flowGroupId carries the flow run's id, which groups the step
    -- runs of one flow run. The live API describes it only as the id of
    -- the flow that started the run, so it may be the flow's id instead.
    flow_run_id = flow_run_id,
  }
  state.runs[run.id] = run
  integration.run_ids[#integration.run_ids + 1] = run.id
  return run
end

-- Returns the run of the integration that is in flight at `now`, or nil.
local function run_in_flight(state, integration, now)
  for _, run_id in ipairs(integration.run_ids) do
    local run = state.runs[run_id]
    if model.phase(run, now) == "running" then
      return run
    end
  end
  return nil
end

-- Returns true while the integration has a run in flight or is a step that
-- an unfinished flow run has yet to start.
function runs.is_busy(state, integration, now)
  if run_in_flight(state, integration, now) then
    return true
  end
  for _, flow_run in pairs(state.flow_runs) do
    if flow_run.active then
      for index = flow_run.index, #flow_run.steps do
        if flow_run.steps[index].referrer == integration.id then
          return true
        end
      end
    end
  end
  return false
end

-- Returns the runs of the integration that have started, newest first.
local function started_runs(state, integration, now)
  local started = {}
  for index = #integration.run_ids, 1, -1 do
    local run = state.runs[integration.run_ids[index]]
    if model.phase(run, now) ~= "pending" then
      started[#started + 1] = run
    end
  end
  return started
end

-- Returns the integration's most recent started run, or nil.
function runs.latest(state, integration, now)
  return started_runs(state, integration, now)[1]
end

-- Forgets every run of a deleted integration.
function runs.forget(state, integration)
  for _, run_id in ipairs(integration.run_ids) do
    state.runs[run_id] = nil
  end
  state.outcomes[integration.id] = nil
end

-- POST /integrations/{integrationId}/run. The live API takes no body here,
-- so the emulator does not read one.
runs.run = common.with_integration(function(state, ctx, integration)
  if runs.is_busy(state, integration, ctx.now) then
    return common.conflict("Integration is already running")
  end
  local run = runs.start(state, integration, ctx.now, ctx.user.name, nil)
  return common.success({ run = { id = run.id } })
end)

-- POST /integrations/{integrationId}/cancel: the run in flight ends now,
-- unsuccessful, with the message "Cancelled".
runs.cancel = common.with_integration(function(state, ctx, integration)
  local run = run_in_flight(state, integration, ctx.now)
  if not run then
    return common.conflict("Integration is not running")
  end
  run.outcome = "cancelled"
  run.finish = ctx.now
  return common.success()
end)

local with_run = common.record_route("runs", "runId", "Run")

-- Wraps the handler of a route that reads one run (status, error records,
-- dumps), so that a run that has not started yet gets a 404 like an
-- unknown one.
local function with_started_run(handler)
  return with_run(function(state, ctx, run)
    if model.phase(run, ctx.now) == "pending" then
      return common.not_found("Run")
    end
    return handler(state, ctx, run)
  end)
end

-- GET /integrations/run/{runId}
runs.status = with_started_run(function(state, ctx, run)
  return common.success({
    run = model.status_view(run, ctx.now),
    meta = { schema = "https://api.cloudworks.anaplan.com/1/0/integrations/objects/run" },
  })
end)

-- GET /integrations/runs/{integrationId}: the integration's header fields
-- and one page of its runs, newest first.
runs.history = common.with_integration(function(state, ctx, integration)
  local problems = {}
  local limit, offset = common.paging_window(ctx.req.query, state.page_cap, problems)
  if #problems > 0 then
    return common.invalid_query(problems)
  end

  local records = {}
  for _, run in ipairs(started_runs(state, integration, ctx.now)) do
    records[#records + 1] = model.record_view(run, ctx.now)
  end
  local page, paging = common.page(records, limit, offset)
  local history = {
    integrationId = integration.id,
    name = integration.name,
    integrationType = integration.integration_type,
    processId = integration.processId,
    version = integration.version,
    schedule = integration.schedule and common.copy(integration.schedule) or json.null,
    workspaceId = integration.workspaceId,
    modelId = integration.modelId,
    creationDate = common.iso_time(integration.created),
    modificationDate = common.iso_time(integration.modified),
    createdBy = integration.created_by,
    modifiedBy = integration.modified_by,
    status = 1,
    notificationId = integration.notification_id,
    runs = page,
    totalRuns = #records,
  }
  return common.success({ history_of_runs = history, meta = { paging = paging } })
end)

-- GET /integrations/runerror/{runId}
runs.errors = with_started_run(function(state, ctx, run)
  return common.success({ runs = model.error_records(run, ctx.now) })
end)

local CSV_HEADERS = { ["Content-Type"] = "text/csv; charset=utf-8" }

-- GET /integrations/run/{runId}/dumps: the error dump of an import
-- integration's run. Process runs have one dump per import action, under
-- the process route.
runs.import_dump = with_started_run(function(state, ctx, run)
  if run.kind ~= "Import" or not model.has_dump(run, ctx.now) then
    return common.not_found("Error dump")
  end
  return 200, model.dump_csv(run), CSV_HEADERS
end)

-- GET /integrations/run/{runId}/process/import/{actionId}/dumps
runs.process_dump = with_started_run(function(state, ctx, run)
  if run.kind ~= "Process" or not model.has_dump(run, ctx.now, ctx.params.actionId) then
    return common.not_found("Error dump")
  end
  return 200, model.dump_csv(run), CSV_HEADERS
end)

return runs
