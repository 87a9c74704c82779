-- CloudWorks integrations: create, list, get, PUT and DELETE.
local json = require("anaplan.emulator.json")
local common = require("anaplan.emulator.cw_common")
local connections = require("anaplan.emulator.cw_connections")
local notifications = require("anaplan.emulator.cw_notifications")
local model = require("anaplan.emulator.cw_run_model")
local runs = require("anaplan.emulator.cw_runs")

local integrations = {}

-- The source and target kind that each job type takes.
local JOB_TYPES = {
  AmazonS3ToAnaplan = { source = "AmazonS3", target = "Anaplan" },
  AzureBlobToAnaplan = { source = "AzureBlob", target = "Anaplan" },
  GoogleBigQueryToAnaplan = { source = "GoogleBigQuery", target = "Anaplan" },
  AnaplanToAmazonS3 = { source = "Anaplan", target = "AmazonS3" },
  AnaplanToAzureBlob = { source = "Anaplan", target = "AzureBlob" },
  AnaplanToGoogleBigQuery = { source = "Anaplan", target = "GoogleBigQuery" },
}

local JOB_TYPE_NAMES = {
  "AmazonS3ToAnaplan", "AzureBlobToAnaplan", "GoogleBigQueryToAnaplan",
  "AnaplanToAmazonS3", "AnaplanToAzureBlob", "AnaplanToGoogleBigQuery",
}

local MODEL_ID = { type = "string", required = true, pattern = common.UPPER_HEX_ID, description = common.MODEL_ID_DESCRIPTION }
local NUMERIC = { type = "string", required = true, pattern = common.NUMERIC_ID, description = common.NUMERIC_DESCRIPTION }

-- The number of integrations and flows together that the emulator allows
-- when new{} sets no tenant_max_allowed. The live API reports each
-- tenant's own maximum.
integrations.DEFAULT_TENANT_MAX = 1000

local function check_connection_ref(check, state, endpoint, path, endpoint_type)
  local connection_id = check:field(endpoint, "connectionId", path, common.ID_SPEC)
  if not connection_id then
    return nil
  end
  local connection = state.connections[connection_id]
  if not connection then
    check:add(path .. ".connectionId", "no connection has this id")
  elseif connection.type ~= endpoint_type then
    check:add(path .. ".connectionId", "is a " .. connection.type .. " connection, the job needs " .. endpoint_type)
  end
  return connection_id
end

-- Checks one source or target of a job and returns its stored form. File
-- targets overwrite by default and table targets do not.
local function check_endpoint(check, state, value, path, endpoint_type, role)
  local endpoint = check:value(value, path, { type = "object", required = true })
  if not endpoint then
    return nil
  end
  check:field(endpoint, "type", path, { type = "string", required = true, enum = { endpoint_type } })
  local stored = { type = endpoint_type }

  if endpoint_type == "Anaplan" then
    stored.actionId = check:field(endpoint, "actionId", path, NUMERIC)
    if role == "target" then
      stored.fileId = check:field(endpoint, "fileId", path, NUMERIC)
    end
    return stored
  end

  stored.connectionId = check_connection_ref(check, state, endpoint, path, endpoint_type)
  local location = endpoint_type == "GoogleBigQuery" and "table" or "file"
  stored[location] = check:field(endpoint, location, path, { type = "string", required = true })
  if role == "target" then
    local overwrite = check:field(endpoint, "overwrite", path, { type = "boolean" })
    if overwrite == nil then
      overwrite = endpoint_type ~= "GoogleBigQuery"
    end
    stored.overwrite = overwrite
  end
  return stored
end

local function check_endpoints(check, state, list, path, endpoint_type, role)
  return check:each(list, path, function(value, item_path)
    return check_endpoint(check, state, value, item_path, endpoint_type, role)
  end)
end

local function check_mapping(check, list, path)
  return check:each(list, path, function(value, item_path)
    local item = check:value(value, item_path, { type = "object", required = true })
    if not item then
      return nil
    end
    return {
      sourceName = check:field(item, "sourceName", item_path, { type = "string", required = true }),
      targetName = check:field(item, "targetName", item_path, { type = "string", required = true }),
    }
  end)
end

local function check_job(check, state, value, path)
  local job = check:value(value, path, { type = "object", required = true })
  if not job then
    return nil
  end
  local job_type = check:field(job, "type", path, { type = "string", required = true, enum = JOB_TYPE_NAMES })
  local sources = check:field(job, "sources", path, { type = "array", required = true, min_items = 1 })
  local targets = check:field(job, "targets", path, { type = "array", required = true, min_items = 1 })
  local mapping = check:field(job, "mapping", path, { type = "array" })
  if not job_type then
    return nil
  end

  local shape = JOB_TYPES[job_type]
  local stored = {
    type = job_type,
    sources = check_endpoints(check, state, sources, path .. ".sources", shape.source, "source"),
    targets = check_endpoints(check, state, targets, path .. ".targets", shape.target, "target"),
  }
  if mapping then
    stored.mapping = check_mapping(check, mapping, path .. ".mapping")
  end
  return stored
end

-- Returns "Process" for an integration with a processId, otherwise "Import"
-- or "Export" by the direction of its first job.
local function integration_type(fields)
  if fields.processId then
    return "Process"
  end
  if fields.jobs[1].type:match("ToAnaplan$") then
    return "Import"
  end
  return "Export"
end

-- Checks a create or PUT body and returns the integration's fields, or nil.
-- Without processId the body needs at least one job. With processId, jobs
-- may be absent or empty (a process-only integration).
local function check_integration(check, state, req)
  local body, fields = check:versioned_body(req)
  if not body then
    return nil
  end
  fields.workspaceId = check:field(body, "workspaceId", "body", common.ID_SPEC)
  fields.modelId = check:field(body, "modelId", "body", MODEL_ID)
  local has_process = common.kind_of(body.processId) ~= "null"
  if has_process then
    fields.processId = check:field(body, "processId", "body", NUMERIC)
  end
  local jobs = check:field(body, "jobs", "body", { type = "array", required = not has_process, min_items = not has_process and 1 or nil })

  fields.jobs = check:each(jobs, "body.jobs", function(job, path)
    return check_job(check, state, job, path)
  end)
  if not check:ok() then
    return nil
  end
  fields.integration_type = integration_type(fields)
  return fields
end

local function apply_fields(integration, fields)
  for key, value in pairs(fields) do
    integration[key] = value
  end
  if not fields.processId then
    integration.processId = nil
  end
end

-- Returns the job as GET /integrations/{id} shows it: each cloud endpoint
-- gains connectionName, bucketName and isConnectionDeleted.
local function job_view(state, job)
  local view = common.copy(job)
  view.sources = common.array_copy(job.sources)
  view.targets = common.array_copy(job.targets)
  for _, side in ipairs({ view.sources, view.targets }) do
    for _, endpoint in ipairs(side) do
      if endpoint.connectionId then
        local connection = state.connections[endpoint.connectionId]
        endpoint.isConnectionDeleted = connection == nil
        if connection then
          endpoint.connectionName = connection.body.name
          endpoint.bucketName = connections.container_name(connection)
        end
      end
    end
  end
  if job.mapping then
    view.mapping = common.array_copy(job.mapping)
  end
  return view
end

-- Returns the list form of an integration (IntegrationSummary).
function integrations.summary(state, integration, now)
  local view = {
    integrationId = integration.id,
    name = integration.name,
    integrationType = integration.integration_type,
    processId = integration.processId,
    workspaceId = integration.workspaceId,
    modelId = integration.modelId,
    createdBy = integration.created_by,
    creationDate = common.iso_time(integration.created),
    modificationDate = common.iso_time(integration.modified),
    modifiedBy = integration.modified_by,
    notificationId = integration.notification_id,
    nuxVisible = integration.nuxVisible,
  }
  local latest = runs.latest(state, integration, now)
  if latest then
    view.latestRun = model.latest_run_view(latest, now)
  end
  if integration.schedule then
    view.schedule = common.copy(integration.schedule)
  end
  return view
end

-- Returns the GET-by-id form of an integration (IntegrationDetail).
function integrations.detail(state, integration, now)
  local view = integrations.summary(state, integration, now)
  view.version = integration.version
  view.jobs = json.array()
  for index, job in ipairs(integration.jobs) do
    view.jobs[index] = job_view(state, job)
  end
  return view
end

local function parse_sort_by(query, problems)
  local sort_by = query.sortBy
  if sort_by ~= nil and sort_by ~= "name" and sort_by ~= "-name" then
    problems[#problems + 1] = "sortBy: must be name or -name"
  end
  return sort_by
end

local function sort_by_name(items, descending)
  table.sort(items, function(a, b)
    local name_a, name_b = a.name:lower(), b.name:lower()
    if name_a ~= name_b then
      if descending then
        return name_a > name_b
      end
      return name_a < name_b
    end
    return a.seq < b.seq
  end)
end

-- Returns how many integrations and flows the tenant has.
function integrations.tenant_count(state)
  local count = 0
  for _ in pairs(state.integrations) do
    count = count + 1
  end
  for _ in pairs(state.flows) do
    count = count + 1
  end
  return count
end

-- GET /integrations: sortBy=name|-name, myIntegrations=0|1, limit, offset.
-- Unsorted lists come in creation order.
function integrations.list(state, ctx)
  local problems = {}
  local selected, limit, offset = common.select_for_list(state.integrations, ctx, state.page_cap, problems)
  local sort_by = parse_sort_by(ctx.req.query, problems)
  if #problems > 0 then
    return common.invalid_query(problems)
  end

  if sort_by then
    sort_by_name(selected, sort_by == "-name")
  end
  local views = {}
  for index, integration in ipairs(selected) do
    views[index] = integrations.summary(state, integration, ctx.now)
  end
  local page, paging = common.page(views, limit, offset)
  return common.success({
    integrations = page,
    meta = {
      paging = paging,
      tenantCurrentCount = integrations.tenant_count(state),
      tenantMaxAllowed = state.tenant_max_allowed,
      schema = "https://api.cloudworks.anaplan.com/1/0/integrations/objects/integrations",
    },
  })
end

-- POST /integrations. The new integration gets its notification
-- configuration at once, as on the live API.
function integrations.create(state, ctx)
  local check = common.checker()
  local fields = check_integration(check, state, ctx.req)
  if not fields then
    return common.invalid_body(check.problems)
  end
  if integrations.tenant_count(state) >= state.tenant_max_allowed then
    return common.conflict("Tenant integration limit of " .. state.tenant_max_allowed .. " reached")
  end

  local integration = common.new_record(state, ctx)
  integration.run_ids = {}
  apply_fields(integration, fields)
  state.integrations[integration.id] = integration
  local notification = notifications.new_record(state, ctx, { integration.id }, json.array(), json.array())
  integration.notification_id = notification.id
  return common.success({ integration = { integrationId = integration.id } })
end

-- GET /integrations/{integrationId}
integrations.get = common.with_integration(function(state, ctx, integration)
  return common.success({ integration = integrations.detail(state, integration, ctx.now) })
end)

-- PUT /integrations/{integrationId}: replaces every editable field; the
-- schedule, notification configuration and run history stay.
integrations.update = common.with_integration(function(state, ctx, integration)
  local check = common.checker()
  local fields = check_integration(check, state, ctx.req)
  if not fields then
    return common.invalid_body(check.problems)
  end
  apply_fields(integration, fields)
  integration.modified = ctx.now
  integration.modified_by = ctx.user.name
  return common.success()
end)

local function used_by_flow(state, integration_id)
  for _, flow in pairs(state.flows) do
    for _, step in ipairs(flow.steps) do
      if step.referrer == integration_id then
        return true
      end
    end
  end
  return false
end

-- DELETE /integrations/{integrationId}: rejected with 409 while a run is in
-- flight and while a flow has the integration as a step.
integrations.delete = common.with_integration(function(state, ctx, integration)
  if runs.is_busy(state, integration, ctx.now) then
    return common.conflict("Integration is running")
  end
  if used_by_flow(state, integration.id) then
    return common.conflict("Integration is a step of an integration flow")
  end
  notifications.detach(state, integration.id)
  runs.forget(state, integration)
  state.integrations[integration.id] = nil
  return common.success()
end)

return integrations
