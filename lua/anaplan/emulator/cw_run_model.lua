-- Integration runs as data: a run's phase and result at a given time, its
-- views in the live API's shapes, its error records and its error dump.
--
-- A run has no timer. It stores when it starts and when it is due to end,
-- and every view derives the phase from the clock value it is given.
local json = require("anaplan.emulator.json")
local common = require("anaplan.emulator.cw_common")

local model = {}

model.OUTCOMES = { "success", "partial_failure", "failure" }

-- Every simulated import reads this many rows. A partial failure rejects
-- PARTIAL_FAILED_ROWS of them and a failure rejects them all.
local TOTAL_ROWS = 10
local PARTIAL_FAILED_ROWS = 2

-- executionErrorCode values that the API description lists: 38 marks a
-- partial success, 12 an import data-type mismatch. The emulator reports
-- every failure as the latter.
model.PARTIAL_SUCCESS_CODE = 38
model.FAILURE_CODE = 12

-- Returns "pending" before the run starts, "running" while it is in flight
-- and "done" once it ended or was cancelled.
function model.phase(run, now)
  if now < run.start then
    return "pending"
  end
  if now < run.finish then
    return "running"
  end
  return "done"
end

local function failed_rows(run)
  if run.outcome == "partial_failure" then
    return PARTIAL_FAILED_ROWS
  elseif run.outcome == "failure" then
    return TOTAL_ROWS
  end
  return 0
end

-- Returns success, message and executionErrorCode of a finished run.
function model.result(run)
  if run.outcome == "cancelled" then
    return false, "Cancelled", json.null
  end
  if run.outcome == "success" then
    return true, "Success", json.null
  end

  local failed = failed_rows(run)
  local counts = string.format("%d of %d rows imported, %d rows failed", TOTAL_ROWS - failed, TOTAL_ROWS, failed)
  if run.outcome == "partial_failure" then
    return true, "Completed with errors: " .. counts, model.PARTIAL_SUCCESS_CODE
  end
  if run.kind == "Process" then
    return false, "Process failed", model.FAILURE_CODE
  end
  return false, run.kind .. " failed: " .. counts, model.FAILURE_CODE
end

-- A run in flight has no endDate, success false and no error code.
-- NOTE: the live message of a run in flight is not documented.
local IN_PROGRESS_MESSAGE = "In progress"

-- Fills the fields that every run view shares and returns the table.
local function outcome_fields(run, now, view)
  view.startDate = common.iso_time(run.start)
  if model.phase(run, now) == "done" then
    view.endDate = common.iso_time(run.finish)
    view.success, view.message, view.executionErrorCode = model.result(run)
  else
    view.success, view.message, view.executionErrorCode = false, IN_PROGRESS_MESSAGE, json.null
  end
  return view
end

-- latestRun of an integration or a flow step.
function model.latest_run_view(run, now)
  return outcome_fields(run, now, {
    triggeredBy = run.user_name,
    triggerSource = run.trigger_source,
  })
end

-- An entry of history_of_runs.runs (RunRecord): `lastRun` is the end time in
-- epoch seconds, absent while the run is in flight.
function model.record_view(run, now)
  local view = outcome_fields(run, now, {
    id = run.id,
    triggeredBy = run.user_name,
    traceId = run.trace_id,
    triggerSource = run.trigger_source,
  })
  if view.endDate then
    view.lastRun = math.floor(run.finish)
  end
  return view
end

-- The `run` of GET /integrations/run/{runId} (RunStatus).
function model.status_view(run, now)
  local view = outcome_fields(run, now, {
    id = run.id,
    integrationId = run.integration_id,
    traceId = run.trace_id,
    creationDate = common.iso_time(run.start),
    createdBy = run.user_name,
    modifiedBy = run.user_name,
    flowGroupId = run.flow_run_id or json.null,
    triggerSource = run.trigger_source,
  })
  view.modificationDate = view.endDate or view.creationDate
  return view
end

-- Returns the actions of an integration as a run records them: each job's
-- Anaplan action, or the process itself for a process without jobs.
function model.actions_of(integration)
  local actions = {}
  for _, job in ipairs(integration.jobs) do
    if job.type:match("ToAnaplan$") then
      for _, target in ipairs(job.targets) do
        actions[#actions + 1] = { id = target.actionId, name = "Import " .. target.actionId, import = true }
      end
    else
      for _, source in ipairs(job.sources) do
        actions[#actions + 1] = { id = source.actionId, name = "Export " .. source.actionId, import = false }
      end
    end
  end
  if #actions == 0 and integration.processId then
    actions[1] = { id = integration.processId, name = "Process " .. integration.processId, import = false }
  end
  return actions
end

-- Returns the actions a failed run reports errors for: its imports when it
-- has any, since rows are rejected on import, otherwise every action.
local function failing_actions(run)
  local imports = {}
  for _, action in ipairs(run.actions) do
    if action.import then
      imports[#imports + 1] = action
    end
  end
  if #imports > 0 then
    return imports
  end
  return run.actions
end

function model.has_errors(run, now)
  return model.phase(run, now) == "done" and (run.outcome == "partial_failure" or run.outcome == "failure")
end

-- Returns the error records of GET /integrations/runerror/{runId}: a JSON
-- array with one record, or an empty JSON object when the run had no errors,
-- because the live API sends `{}` there, not `[]`.
function model.error_records(run, now)
  if not model.has_errors(run, now) then
    return json.object()
  end
  local failed = failed_rows(run)
  local messages = json.array()
  for _, action in ipairs(failing_actions(run)) do
    messages[#messages + 1] = {
      actionId = action.id,
      actionName = action.name,
      failureDumpGenerated = action.import,
      errorMessage = json.array({
        {
          type = "invalidNumber",
          localMessageText = string.format("%d rows have a value that is not a number in column Value", failed),
          occurrences = failed,
          values = json.array({ "Value" }),
        },
      }),
    }
  end
  local finished = common.iso_time(run.finish)
  return json.array({
    {
      id = run.error_id,
      taskId = run.task_id,
      errorMessages = messages,
      creationDate = finished,
      modificationDate = finished,
      createdBy = run.user_name,
      modifiedBy = run.user_name,
    },
  })
end

-- Returns true when the run wrote an error dump for the import action.
function model.has_dump(run, now, action_id)
  if not model.has_errors(run, now) then
    return false
  end
  for _, action in ipairs(run.actions) do
    if action.import and (action_id == nil or action.id == action_id) then
      return true
    end
  end
  return false
end

-- Returns the CSV error dump of a failed import: the rejected rows with
-- Anaplan's _Line_ and _Error_1_ columns in front of the source columns.
function model.dump_csv(run)
  local lines = { '"_Line_","_Error_1_","Code","Value"' }
  for row = 1, failed_rows(run) do
    local line = row + 1
    lines[#lines + 1] = string.format('%d,"Invalid number: n/a","P-%04d","n/a"', line, row)
  end
  return table.concat(lines, "\r\n") .. "\r\n"
end

return model
