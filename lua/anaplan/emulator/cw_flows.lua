-- CloudWorks integration flows: create, list, get, PUT, DELETE and run.
--
-- A step's id is the id of the integration it runs (its `referrer`), so
-- `dependsOn` and `stepsToRun` list integration ids. A flow run runs its
-- steps one after another in dependency order, each as a run of its
-- integration taking run_duration seconds. Nothing runs in the background:
-- flows.advance() starts the next step when the clock has passed the end of
-- the previous one, and the state calls it before it handles each request.
local json = require("anaplan.emulator.json")
local common = require("anaplan.emulator.cw_common")
local model = require("anaplan.emulator.cw_run_model")
local runs = require("anaplan.emulator.cw_runs")

local flows = {}

local MIN_STEPS = 2
local MAX_STEPS = 100

local EXCEPTION_TYPES = { "failure", "partial_success" }
local STRATEGIES = { "stop", "continue" }

-- The strategy of a step whose exceptionBehavior has no entry for a failed
-- or partly successful run.
local DEFAULT_STRATEGY = { failure = "stop", partial_success = "continue" }

local function check_exception_behavior(check, list, path)
  local seen = {}
  return check:each(list, path, function(value, item_path)
    local item = check:value(value, item_path, { type = "object", required = true })
    if not item then
      return nil
    end
    local exception_type = check:field(item, "type", item_path, { type = "string", required = true, enum = EXCEPTION_TYPES })
    local strategy = check:field(item, "strategy", item_path, { type = "string", required = true, enum = STRATEGIES })
    check:no_repeat(seen, exception_type, item_path .. ".type", "repeats an earlier item's type")
    return { type = exception_type, strategy = strategy }
  end)
end

local function check_step(check, state, value, path)
  local step = check:value(value, path, { type = "object", required = true })
  if not step then
    return nil
  end
  check:field(step, "type", path, { type = "string", required = true, enum = { "Integration" } })
  local referrer = check:field(step, "referrer", path, common.ID_SPEC)
  if referrer and not state.integrations[referrer] then
    check:add(path .. ".referrer", "no integration has this id")
  end
  local depends_on = check:field(step, "dependsOn", path, { type = "array" })
  local behavior = check:field(step, "exceptionBehavior", path, { type = "array", required = true })
  return {
    referrer = referrer,
    -- The live API accepts a later step without dependsOn; it then runs in
    -- list order like any step without dependencies.
    dependsOn = check:values(depends_on, path .. ".dependsOn", common.ID_SPEC),
    isSkipped = check:field(step, "isSkipped", path, { type = "boolean", required = true }),
    exceptionBehavior = check_exception_behavior(check, behavior or {}, path .. ".exceptionBehavior"),
  }
end

-- Returns the indexes of `steps` in dependency order, ties in list order,
-- or nil when the dependencies form a cycle. Only steps whose index is in
-- `selected` take part, and dependencies on other steps are ignored.
local function dependency_order(steps, selected)
  local index_of = {}
  for index, step in ipairs(steps) do
    index_of[step.referrer] = index
  end
  local waiting_on = {}
  local remaining = 0
  for index, step in ipairs(steps) do
    if selected[index] then
      remaining = remaining + 1
      waiting_on[index] = 0
      for _, id in ipairs(step.dependsOn) do
        if selected[index_of[id]] then
          waiting_on[index] = waiting_on[index] + 1
        end
      end
    end
  end

  local order, done = {}, {}
  while #order < remaining do
    local ready
    for index = 1, #steps do
      if selected[index] and not done[index] and waiting_on[index] == 0 then
        ready = index
        break
      end
    end
    if not ready then
      return nil
    end
    done[ready] = true
    order[#order + 1] = ready
    for index, step in ipairs(steps) do
      if selected[index] and common.contains(step.dependsOn, steps[ready].referrer) then
        waiting_on[index] = waiting_on[index] - 1
      end
    end
  end
  return order
end

local function all_steps(steps)
  local selected = {}
  for index = 1, #steps do
    selected[index] = true
  end
  return selected
end

-- Checks that referrers are unique and that dependsOn names other steps of
-- the flow without a cycle.
local function check_step_links(check, steps)
  local referrers = {}
  for index, step in ipairs(steps) do
    local path = string.format("body.steps[%d].referrer", index - 1)
    check:no_repeat(referrers, step.referrer, path, "repeats the integration of an earlier step")
  end
  for index, step in ipairs(steps) do
    for dep_index, id in ipairs(step.dependsOn) do
      local path = string.format("body.steps[%d].dependsOn[%d]", index - 1, dep_index - 1)
      if id == step.referrer then
        check:add(path, "a step cannot depend on itself")
      elseif not referrers[id] then
        check:add(path, "names no step of this flow")
      end
    end
  end
  if check:ok() and not dependency_order(steps, all_steps(steps)) then
    check:add("body.steps", "dependsOn forms a cycle")
  end
end

-- Checks a create or PUT body and returns the flow's fields, or nil.
local function check_flow(check, state, req)
  local body, fields = check:versioned_body(req)
  if not body then
    return nil
  end
  fields.type = check:field(body, "type", "body", { type = "string", required = true, enum = { "IntegrationFlow" } })
  local steps = check:field(body, "steps", "body", { type = "array", required = true, min_items = MIN_STEPS, max_items = MAX_STEPS })
  fields.steps = check:each(steps, "body.steps", function(step, path)
    return check_step(check, state, step, path)
  end)
  if check:ok() then
    check_step_links(check, fields.steps)
  end
  if not check:ok() then
    return nil
  end
  return fields
end

local function strategy_of(step, exception_type)
  for _, behavior in ipairs(step.exceptionBehavior) do
    if behavior.type == exception_type then
      return behavior.strategy
    end
  end
  return DEFAULT_STRATEGY[exception_type]
end

------------------------------------------------------------------------------
-- Flow runs

local function end_flow_run(flow_run, finish, cancelled)
  flow_run.active = false
  flow_run.finish = finish
  if cancelled then
    flow_run.outcome = "cancelled"
  elseif flow_run.failed then
    flow_run.outcome = "failure"
  elseif flow_run.partial then
    flow_run.outcome = "partial_failure"
  else
    flow_run.outcome = "success"
  end
end

-- Records the end of the current step's run and moves to the next step, or
-- ends the flow run when the step's strategy for that outcome is stop.
local function finish_step(flow_run, run)
  local step = flow_run.steps[flow_run.index]
  if run.outcome == "cancelled" then
    end_flow_run(flow_run, run.finish, true)
    return
  end
  if run.outcome == "failure" then
    flow_run.failed = true
    if step.on_failure == "stop" then
      end_flow_run(flow_run, run.finish, false)
      return
    end
  elseif run.outcome == "partial_failure" then
    flow_run.partial = true
    if step.on_partial_success == "stop" then
      end_flow_run(flow_run, run.finish, false)
      return
    end
  end

  flow_run.index = flow_run.index + 1
  flow_run.current = nil
  flow_run.next_start = run.finish
  if flow_run.index > #flow_run.steps then
    end_flow_run(flow_run, run.finish, false)
  end
end

local function advance_flow_run(state, flow_run, now)
  while flow_run.active do
    if not flow_run.current then
      local step = flow_run.steps[flow_run.index]
      local integration = state.integrations[step.referrer]
      flow_run.current = runs.start(state, integration, flow_run.next_start, flow_run.user_name, flow_run.id)
      local flow = state.flows[flow_run.flow_id]
      flow.step_run_ids[step.referrer] = flow_run.current.id
    end
    if model.phase(flow_run.current, now) ~= "done" then
      return
    end
    finish_step(flow_run, flow_run.current)
  end
end

-- Starts every step run whose time has come, in every unfinished flow run.
-- A step's outcome is drawn from its integration's queue when it starts.
function flows.advance(state, now)
  for _, flow_run in pairs(state.flow_runs) do
    advance_flow_run(state, flow_run, now)
  end
end

local FLOW_RESULTS = {
  success = { true, "Success", json.null },
  partial_failure = { true, "Completed with errors", model.PARTIAL_SUCCESS_CODE },
  failure = { false, "Failed", model.FAILURE_CODE },
  cancelled = { false, "Cancelled", json.null },
}

local function flow_run_view(flow_run)
  local view = {
    triggeredBy = flow_run.user_name,
    triggerSource = "manual",
    startDate = common.iso_time(flow_run.start),
  }
  if flow_run.active then
    view.success, view.message, view.executionErrorCode = false, "In progress", json.null
  else
    view.endDate = common.iso_time(flow_run.finish)
    local result = FLOW_RESULTS[flow_run.outcome]
    view.success, view.message, view.executionErrorCode = result[1], result[2], result[3]
  end
  return view
end

------------------------------------------------------------------------------
-- Views

local function summary(state, flow)
  local view = {
    id = flow.id,
    name = flow.name,
    createdBy = flow.created_by,
    creationDate = common.iso_time(flow.created),
    modificationDate = common.iso_time(flow.modified),
    modifiedBy = flow.modified_by,
    nuxVisible = flow.nuxVisible,
    stepsCount = #flow.steps,
  }
  local flow_run = flow.latest_run_id and state.flow_runs[flow.latest_run_id]
  if flow_run then
    view.latestRun = flow_run_view(flow_run)
  end
  return view
end

-- Returns the IntegrationFlowDetail form: steps gain the name, type, model
-- and workspace of the integration they run.
local function detail(state, flow, now)
  local view = summary(state, flow)
  view.version = flow.version
  view.steps = json.array()
  for index, step in ipairs(flow.steps) do
    local integration = state.integrations[step.referrer]
    local step_view = {
      referrer = step.referrer,
      name = integration.name,
      type = integration.integration_type,
      modelId = integration.modelId,
      workspaceId = integration.workspaceId,
      createdBy = step.created_by,
      createdDate = common.flow_step_time(step.created),
      modifiedDate = common.flow_step_time(step.modified),
      modifiedBy = step.modified_by,
      dependsOn = common.array_copy(step.dependsOn),
      isSkipped = step.isSkipped,
      exceptionBehavior = common.array_copy(step.exceptionBehavior),
    }
    local run = state.runs[flow.step_run_ids[step.referrer] or ""]
    if run and model.phase(run, now) ~= "pending" then
      step_view.latestRun = model.latest_run_view(run, now)
    end
    view.steps[index] = step_view
  end
  return view
end

------------------------------------------------------------------------------
-- Handlers

-- Stores checked steps on the flow. A step whose integration was already a
-- step keeps its creation date.
local function apply_fields(flow, fields, ctx)
  local previous = {}
  for _, step in ipairs(flow.steps or {}) do
    previous[step.referrer] = step
  end
  for _, step in ipairs(fields.steps) do
    local old = previous[step.referrer]
    step.created = old and old.created or ctx.now
    step.created_by = old and old.created_by or ctx.user.name
    step.modified = ctx.now
    step.modified_by = ctx.user.name
  end
  for key, value in pairs(fields) do
    flow[key] = value
  end
  flow.modified = ctx.now
  flow.modified_by = ctx.user.name
end

-- GET /integrationflows: myIntegrations=0|1, limit, offset; creation order.
function flows.list(state, ctx)
  local problems = {}
  local selected, limit, offset = common.select_for_list(state.flows, ctx, state.page_cap, problems)
  if #problems > 0 then
    return common.invalid_query(problems)
  end

  local views = {}
  for index, flow in ipairs(selected) do
    views[index] = summary(state, flow)
  end
  local page, paging = common.page(views, limit, offset)
  return common.success({ integrationFlows = page, meta = { paging = paging } })
end

-- POST /integrationflows
function flows.create(state, ctx)
  local check = common.checker()
  local fields = check_flow(check, state, ctx.req)
  if not fields then
    return common.invalid_body(check.problems)
  end
  local flow = common.new_record(state, ctx)
  flow.step_run_ids = {}
  apply_fields(flow, fields, ctx)
  state.flows[flow.id] = flow
  return common.success({ integrationFlow = { integrationFlowId = flow.id } })
end

local with_flow = common.record_route("flows", "integrationFlowId", "Integration flow")

local function is_running(state, flow)
  local flow_run = flow.latest_run_id and state.flow_runs[flow.latest_run_id]
  return flow_run ~= nil and flow_run.active
end

-- GET /integrationflows/{integrationFlowId}
flows.get = with_flow(function(state, ctx, flow)
  return common.success({ integrationFlow = detail(state, flow, ctx.now) })
end)

-- PUT /integrationflows/{integrationFlowId}: replaces the flow. A flow run
-- in flight keeps the steps it started with.
flows.update = with_flow(function(state, ctx, flow)
  local check = common.checker()
  local fields = check_flow(check, state, ctx.req)
  if not fields then
    return common.invalid_body(check.problems)
  end
  apply_fields(flow, fields, ctx)
  return common.success()
end)

-- DELETE /integrationflows/{integrationFlowId}: rejected with 409 while it runs.
flows.delete = with_flow(function(state, ctx, flow)
  if is_running(state, flow) then
    return common.conflict("Integration flow is running")
  end
  for id, flow_run in pairs(state.flow_runs) do
    if flow_run.flow_id == flow.id then
      state.flow_runs[id] = nil
    end
  end
  state.flows[flow.id] = nil
  return common.success()
end)

-- Returns the set of step indexes a run request selects, or nil. The body
-- may be absent, {} (every step not skipped) or {"stepsToRun": [ids]}.
local function select_steps(check, flow, req)
  if req.json_error then
    check:add("body", "is not valid JSON")
    return nil
  end
  local selected = {}
  local body = req.body
  if body == nil or common.kind_of(body) == "empty" then
    for index, step in ipairs(flow.steps) do
      selected[index] = not step.isSkipped or nil
    end
  else
    body = check:value(body, "body", { type = "object", required = true })
    local ids = body and check:field(body, "stepsToRun", "body", { type = "array", required = true, min_items = 1 })
    for index, id in ipairs(ids or {}) do
      local path = string.format("body.stepsToRun[%d]", index - 1)
      local found = false
      for step_index, step in ipairs(flow.steps) do
        if step.referrer == id then
          selected[step_index] = true
          found = true
        end
      end
      if not found then
        check:add(path, "names no step of this flow")
      end
    end
  end
  if check:ok() and next(selected) == nil then
    check:add("body", "the flow has no step to run: every step is skipped")
  end
  if not check:ok() then
    return nil
  end
  return selected
end

-- POST /integrationflows/{integrationFlowId}/run
flows.run = with_flow(function(state, ctx, flow)
  local check = common.checker()
  local selected = select_steps(check, flow, ctx.req)
  if not selected then
    return common.invalid_body(check.problems)
  end
  if is_running(state, flow) then
    return common.conflict("Integration flow is already running")
  end
  for index in pairs(selected) do
    if runs.is_busy(state, state.integrations[flow.steps[index].referrer], ctx.now) then
      return common.conflict("An integration of this flow is running")
    end
  end

  local steps = {}
  for _, index in ipairs(dependency_order(flow.steps, selected)) do
    local step = flow.steps[index]
    steps[#steps + 1] = {
      referrer = step.referrer,
      on_failure = strategy_of(step, "failure"),
      on_partial_success = strategy_of(step, "partial_success"),
    }
  end
  local flow_run = {
    id = common.new_id(state),
    flow_id = flow.id,
    steps = steps,
    index = 1,
    active = true,
    start = ctx.now,
    next_start = ctx.now,
    user_name = ctx.user.name,
  }
  state.flow_runs[flow_run.id] = flow_run
  flow.latest_run_id = flow_run.id
  advance_flow_run(state, flow_run, ctx.now)
  return common.success({ run = { id = flow_run.id } })
end)

return flows
