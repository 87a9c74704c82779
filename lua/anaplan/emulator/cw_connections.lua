-- CloudWorks connections: create, list, PUT, PATCH and DELETE.
local json = require("anaplan.emulator.json")
local common = require("anaplan.emulator.cw_common")

local connections = {}

local function is_sas(body)
  return body.auth_method == "SAS-based"
end

local function is_oauth(body)
  return type(body.auth_method) == "string" and body.auth_method ~= "SAS-based"
end

local WORKSPACE_ID = { type = "string", pattern = common.LOWER_HEX_ID, description = common.ID_DESCRIPTION }

-- The body fields of each connection type. A `secret` field is stored but
-- never returned. `only_when` drops a field, and its requirement, unless the
-- body selects it: an AzureBlob body carries either a SAS token or OAuth
-- client credentials, chosen by `auth_method`. Requests spell the method
-- `auth_method` and responses `authMethod`.
local FIELDS = {
  AmazonS3 = {
    { key = "name", required = true },
    { key = "accessKeyId", required = true },
    { key = "secretAccessKey", required = true, secret = true },
    { key = "bucketName", required = true },
    { key = "roleArn" },
    { key = "workspaceId", spec = WORKSPACE_ID },
  },
  GoogleBigQuery = {
    { key = "name", required = true },
    { key = "dataset", required = true },
    { key = "serviceAccountKey", required = true, secret = true, spec = { type = "object" } },
    { key = "workspaceId", spec = WORKSPACE_ID },
  },
  AzureBlob = {
    { key = "name", required = true },
    { key = "storageAccountName", required = true },
    { key = "containerName", required = true },
    { key = "auth_method", required = true, response_key = "authMethod" },
    { key = "sasToken", required = true, secret = true, only_when = is_sas },
    { key = "clientId", required = true, only_when = is_oauth },
    { key = "clientSecret", required = true, secret = true, only_when = is_oauth },
    { key = "tenantId", required = true, only_when = is_oauth },
    { key = "workspaceId", spec = WORKSPACE_ID },
  },
}

connections.TYPES = { "AmazonS3", "GoogleBigQuery", "AzureBlob" }

local function field_spec(field)
  local spec = {}
  for key, value in pairs(field.spec or { type = "string" }) do
    spec[key] = value
  end
  spec.required = field.required
  return spec
end

-- Checks a complete connection body of `connection_type` and returns the
-- stored form (known fields only), or nil when a problem was added.
local function check_body(check, connection_type, body, prefix)
  local stored = {}
  local before = #check.problems
  for _, field in ipairs(FIELDS[connection_type]) do
    if field.only_when == nil or field.only_when(body) then
      local value = check:field(body, field.key, prefix, field_spec(field))
      if field.spec and field.spec.type == "object" and common.kind_of(value) == "empty" then
        check:add(prefix .. "." .. field.key, "must not be empty")
      end
      stored[field.key] = common.copy(value)
    end
  end
  if #check.problems > before then
    return nil
  end
  return stored
end

local function duplicate_name()
  return common.failure(400, "Duplicate resource name not allowed", { "body.body.name: a connection with this name exists" })
end

local function name_taken(state, name, except_id)
  for id, connection in pairs(state.connections) do
    if id ~= except_id and connection.body.name == name then
      return true
    end
  end
  return false
end

-- Returns true when an integration's job reads from or writes to the connection.
function connections.in_use(state, connection_id)
  for _, integration in pairs(state.integrations) do
    for _, job in ipairs(integration.jobs) do
      for _, side in ipairs({ job.sources, job.targets }) do
        for _, endpoint in ipairs(side) do
          if endpoint.connectionId == connection_id then
            return true
          end
        end
      end
    end
  end
  return false
end

-- Returns the public form of a stored connection: every secret left out.
function connections.view(connection)
  local body = {}
  for _, field in ipairs(FIELDS[connection.type]) do
    local value = connection.body[field.key]
    if not field.secret and value ~= nil then
      body[field.response_key or field.key] = common.copy(value)
    end
  end
  return {
    connectionId = connection.id,
    connectionType = connection.type,
    body = body,
    creationDate = common.iso_time(connection.created),
    modificationDate = common.iso_time(connection.modified),
    createdBy = connection.created_by,
    modifiedBy = connection.modified_by,
    status = 1,
    integrationErrorCode = json.null,
    workspaceId = connection.body.workspaceId or json.null,
    authMethod = connection.body.auth_method or json.null,
  }
end

-- Returns the name of the storage container a connection points at. Job
-- endpoints report it as `bucketName` whatever the connection type.
function connections.container_name(connection)
  local body = connection.body
  return body.bucketName or body.containerName or body.dataset
end

-- GET /integrations/connections
function connections.list(state, ctx)
  local problems = {}
  local limit, offset = common.paging_window(ctx.req.query, state.page_cap, problems)
  if #problems > 0 then
    return common.invalid_query(problems)
  end
  local views = {}
  for _, connection in ipairs(common.by_creation(state.connections)) do
    views[#views + 1] = connections.view(connection)
  end
  local page, paging = common.page(views, limit, offset)
  return common.success({ connections = page, meta = { paging = paging } })
end

-- Checks a {"type", "body"} request and returns type and stored body, or nil.
local function check_typed_request(check, req)
  local request = check:body(req)
  if not request then
    return nil
  end
  local connection_type = check:field(request, "type", "body", { type = "string", required = true, enum = connections.TYPES })
  local body = check:field(request, "body", "body", { type = "object", required = true })
  if not (connection_type and body) then
    return nil
  end
  return connection_type, check_body(check, connection_type, body, "body.body")
end

-- POST /integrations/connections
function connections.create(state, ctx)
  local check = common.checker()
  local connection_type, body = check_typed_request(check, ctx.req)
  if not check:ok() then
    return common.invalid_body(check.problems)
  end
  if name_taken(state, body.name) then
    return duplicate_name()
  end

  local connection = common.new_record(state, ctx)
  connection.type = connection_type
  connection.body = body
  state.connections[connection.id] = connection
  return common.success({ connections = { connectionId = connection.id } })
end

local with_connection = common.record_route("connections", "connectionId", "Connection")

-- Stores a checked body on the connection unless another connection has
-- its name, and returns the response.
local function save_change(state, connection, body, ctx)
  if name_taken(state, body.name, connection.id) then
    return duplicate_name()
  end
  connection.body = body
  connection.modified = ctx.now
  connection.modified_by = ctx.user.name
  return common.success()
end

-- PUT /integrations/connections/{connectionId}: the complete body, secrets
-- included, in the create request's {"type", "body"} wrapper.
connections.update = with_connection(function(state, ctx, connection)
  local check = common.checker()
  local connection_type, body = check_typed_request(check, ctx.req)
  if connection_type and connection_type ~= connection.type then
    check:add("body.type", "must match the connection's type " .. connection.type)
  end
  if not check:ok() then
    return common.invalid_body(check.problems)
  end
  return save_change(state, connection, body, ctx)
end)

-- PATCH /integrations/connections/{connectionId}: {"body": {fields to change}}.
-- A field set to null is removed, which only optional fields allow.
connections.patch = with_connection(function(state, ctx, connection)
  local check = common.checker()
  local request = check:body(ctx.req)
  local changes = request and check:field(request, "body", "body", { type = "object", required = true })
  if not changes then
    return common.invalid_body(check.problems)
  end

  local known = {}
  for _, field in ipairs(FIELDS[connection.type]) do
    known[field.key] = true
  end
  local merged = common.copy(connection.body)
  for key, value in pairs(changes) do
    if not known[key] then
      check:add("body.body." .. tostring(key), "is not a field of a " .. connection.type .. " connection")
    elseif value == json.null then
      merged[key] = nil
    else
      merged[key] = value
    end
  end
  if next(changes) == nil then
    check:add("body.body", "must name at least one field to change")
  end
  local body = check:ok() and check_body(check, connection.type, merged, "body.body")
  if not check:ok() then
    return common.invalid_body(check.problems)
  end
  return save_change(state, connection, body, ctx)
end)

-- DELETE /integrations/connections/{connectionId}
connections.delete = with_connection(function(state, ctx, connection)
  if connections.in_use(state, connection.id) then
    return common.conflict("Connection is used by an integration")
  end
  state.connections[connection.id] = nil
  return common.success()
end)

return connections
