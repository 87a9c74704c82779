-- Conformance: a tour calls all 31 CloudWorks operations through the SDK,
-- then every request the emulator received is checked against the OpenAPI
-- description of the live API, and so are the emulator's JSON responses to
-- the GET operations.
--
-- The description lives outside the repository, in ../shared/cloudworks/
-- from its root; the spec fails, naming the places it looked, without it.
local openapi = require("helpers.openapi")
local sdk = require("helpers.sdk")

local CLOUDWORKS_FILE = "cloudworks-openapi.json"
local AUTH_FILE = "authentication-openapi.json"

local cloudworks_path, cloudworks_missing = openapi.locate(openapi.candidates(CLOUDWORKS_FILE))
local auth_path, auth_missing = openapi.locate(openapi.candidates(AUTH_FILE))
if openapi.pending_without(cloudworks_path and auth_path, cloudworks_missing or auth_missing, pending) then
  return
end

-- The live operations: every operation of the description except the one
-- it marks deprecated (GET /integrations/anaplanModels/{modelId}, which the
-- live API no longer serves).
local LIVE_OPERATION_COUNT = 31

-- Where the description covers less than the live API takes. Everything not
-- listed here is checked exactly as the description states it.
--
-- Query parameters the description leaves out: the connection list carries
-- meta.paging like the other lists and pages by limit and offset, and the
-- flow list takes myIntegrations as the integration list does.
local EXTRA_QUERY = {
  ["GET /integrations/connections"] = {
    limit = { type = "integer" },
    offset = { type = "integer" },
  },
  ["GET /integrationflows"] = {
    myIntegrations = { type = "integer", enum = { 0, 1 } },
  },
}

-- Request bodies that the description types loosely, saying they take the
-- shape of another operation's body. They are checked against their own
-- schema without the strict check, and strictly against the other one. A
-- schedule update is in this list because the live API returns 400 unless
-- integrationId is in the body, which only the create schema declares.
local MIRRORS = {
  ["PUT /integrations/connections/{connectionId}"] = "POST /integrations/connections",
  ["PUT /integrationflows/{integrationFlowId}"] = "POST /integrationflows",
  ["PUT /integrations/{integrationId}/schedule"] = "POST /integrations/{integrationId}/schedule",
}

-- The emulator's log shows the value of each of these fields as "***".
local MASKED = {
  value = "***",
  fields = { sasToken = true, secretAccessKey = true, serviceAccountKey = true, privateKey = true, clientSecret = true },
}

local PATCH_CONNECTION = "PATCH /integrations/connections/{connectionId}"
local CREATE_CONNECTION = "POST /integrations/connections"

local function key_of(match)
  return match.method .. " " .. match.template
end

-- Returns the operation `key` ("POST /integrationflows") of the document.
local function find_operation(document, key)
  for _, entry in ipairs(document:operations()) do
    if entry.method .. " " .. entry.template == key then
      return entry
    end
  end
  error("the description has no operation " .. key, 0)
end

-- Returns the alternative of the create-connection schema for a type.
local function create_branch_for(document, connection_type)
  local schema = document:request_schema(find_operation(document, CREATE_CONNECTION))
  schema = document:resolve(schema)
  for _, branch in ipairs(schema.oneOf or { schema }) do
    branch = document:resolve(branch)
    local type_schema = branch.properties and document:resolve(branch.properties.type)
    for _, name in ipairs(type_schema and type_schema.enum or {}) do
      if name == connection_type then
        return branch
      end
    end
  end
  error("the create-connection schema has no alternative for type " .. connection_type, 0)
end

-- Waits until the flow's latest run has ended, so the next run or delete
-- does not meet a busy integration.
local function wait_for_flow(flows, flow_id)
  local sleep = require("anaplan.core").sleep
  for _ = 1, 200 do
    local flow = flows:get_flow(flow_id)
    if flow.latestRun and flow.latestRun.endDate then
      return
    end
    sleep(sdk.POLL_INTERVAL)
  end
  error("flow " .. flow_id .. " did not finish its run within 200 polls", 0)
end

-- Calls every CloudWorks operation once or more with valid inputs. Returns
-- what the checks need: the type of each connection made, and the raw text
-- of the response to each GET request, fetched again with client:request
-- while every object still exists.
local function tour(emulator, client)
  local cw, flows = client.cw, client.cw.flows
  local wait = { interval = sdk.POLL_INTERVAL, timeout = 10 }
  local connection_types = {}

  -- Fetches the raw response to each GET logged so far and not fetched
  -- yet. The tour calls it before it deletes what those GETs name.
  local responses = {}
  local base = sdk.base_path(emulator)
  local function fetch_get_responses()
    for _, entry in ipairs(sdk.cloudworks_requests(emulator)) do
      if entry.method == "GET" then
        local path = entry.path:sub(#base + 1) .. (entry.query ~= "" and ("?" .. entry.query) or "")
        if responses[path] == nil then
          responses[path] = client:request("GET", path, nil, true)
        end
      end
    end
  end

  -- connections
  local blob_id = cw:create_connection(sdk.azure_input("tour-blob"))
  local s3_id = cw:create_connection(sdk.s3_input("tour-s3"))
  local bigquery_id = cw:create_connection(sdk.bigquery_input("tour-bigquery"))
  connection_types[blob_id], connection_types[s3_id], connection_types[bigquery_id] =
    "AzureBlob", "AmazonS3", "GoogleBigQuery"
  cw:list_connections()
  cw:update_connection(blob_id, sdk.azure_input("tour-blob-renamed"))
  cw:update_connection(s3_id, sdk.s3_input("tour-s3-renamed").body)
  cw:patch_connection(s3_id, { bucketName = "tour-bucket-moved" })
  cw:patch_connection(blob_id, { containerName = "tour-archive" })

  -- integrations
  local import_id = cw:create_integration(sdk.import_integration_input(blob_id, "tour-import"))
  local process_id = cw:create_integration(sdk.process_integration_input(blob_id, "tour-process"))
  local process_only_id = cw:create_integration {
    name = "tour-process-only",
    version = "2.0",
    workspaceId = sdk.WORKSPACE_ID,
    modelId = sdk.MODEL_ID,
    processId = sdk.PROCESS_ID,
  }
  cw:list_integrations { sort_by = "name", descending = true, current_user_only = true }
  cw:list_integrations()
  cw:get_integration(import_id)
  cw:update_integration(import_id, sdk.import_integration_input(blob_id, "tour-import-renamed"))

  -- schedules
  cw:create_schedule(import_id, sdk.weekly_schedule())
  cw:update_schedule(import_id, {
    name = "tour-hourly",
    type = "hourly",
    fromTime = "09:00",
    toTime = "17:00",
    repeatEvery = 2,
    daysOfWeek = { 1, 2, 3, 4, 5 },
    startDate = "2026-02-01",
    endDate = "2026-12-31",
    timezone = "America/New_York",
  })
  cw:set_schedule_status(import_id, "disabled")
  cw:set_schedule_status(import_id, "enabled")
  cw:create_schedule(process_id, sdk.weekly_schedule())

  -- runs: a partly failed import, a failed process, a cancelled run
  emulator:set_next_outcome(import_id, "partial_failure")
  local import_run = cw:run_integration(import_id)
  cw:wait_for_run(import_run, wait)
  cw:get_run_history(import_id)
  cw:get_run_error(import_run)
  cw:get_import_error_dump(import_run)
  emulator:set_next_outcome(process_id, "failure")
  local process_run = cw:run_integration(process_id)
  cw:wait_for_run(process_run, wait)
  cw:get_run_error(process_run)
  cw:get_process_error_dump(process_run, sdk.IMPORT_ACTION_ID)
  emulator:configure { run_duration = 30 }
  local cancelled_run = cw:run_integration(process_only_id)
  cw:cancel_integration(process_only_id)
  emulator:configure { run_duration = sdk.RUN_DURATION }
  cw:get_run_status(cancelled_run)

  -- notifications
  local notification_id = cw:get_integration(process_only_id).notificationId
  cw:get_notification_config { notification_id = notification_id }
  cw:update_notification_config(notification_id, sdk.notification_input(process_only_id))
  cw:get_notification_config { integration_id = process_only_id }
  fetch_get_responses()
  cw:delete_notification_config { notification_id = notification_id }
  local new_notification_id = cw:create_notification_config(sdk.notification_input(process_only_id))

  -- flows
  local flow_id = flows:create_flow(sdk.flow_input(import_id, process_id, "tour-flow"))
  flows:list_flows()
  flows:list_flows { current_user_only = true }
  flows:get_flow(flow_id)
  flows:update_flow(flow_id, sdk.flow_input(process_id, import_id, "tour-flow-renamed"))
  flows:run_flow(flow_id)
  wait_for_flow(flows, flow_id)
  flows:run_flow(flow_id, { only_steps = { import_id } })
  wait_for_flow(flows, flow_id)

  fetch_get_responses()

  -- clean-up, which also calls the delete operations
  flows:delete_flow(flow_id)
  cw:delete_schedule(import_id)
  cw:delete_notification_config { notification_id = new_notification_id }
  cw:delete_integration(process_only_id)
  cw:delete_integration(process_id)
  cw:delete_integration(import_id)
  cw:delete_connection(bigquery_id)
  cw:delete_connection(s3_id)
  cw:delete_connection(blob_id)

  return { connection_types = connection_types, responses = responses }
end

-- Fails with every problem listed, one a line.
local function assert_no_problems(problems, subject)
  assert.is_true(#problems == 0,
    string.format("%d problem(s) with %s:\n%s", #problems, subject, table.concat(problems, "\n")))
end

describe("OpenAPI conformance", function()
  local cloudworks, auth, emulator, log, tour_result, base

  setup(function()
    if not cloudworks_path or not auth_path then
      return
    end
    cloudworks = assert(openapi.load(cloudworks_path))
    auth = assert(openapi.load(auth_path))
    emulator = sdk.start_emulator()
    local client = sdk.client(emulator)
    local ok, err = pcall(tour, emulator, client)
    client:close()
    log = emulator:requests()
    base = sdk.base_path(emulator)
    if ok then
      tour_result = err
    else
      tour_result = { error = err }
    end
  end)

  teardown(function()
    if emulator then
      emulator:stop()
    end
  end)

  local function require_tour()
    assert(cloudworks_path, cloudworks_missing)
    assert(auth_path, auth_missing)
    assert(tour_result and not tour_result.error,
      "the tour of every operation failed: " .. tostring(tour_result and tour_result.error))
  end

  -- Returns each logged CloudWorks request with its match, or fails with
  -- the requests that match no operation.
  local function matched_requests()
    local matched, problems = {}, {}
    for _, entry in ipairs(log) do
      if entry.path:sub(1, #base + 1) == base .. "/" then
        local match, message = cloudworks:match(entry.method, entry.path:sub(#base + 1))
        if match then
          matched[#matched + 1] = { entry = entry, match = match }
        else
          problems[#problems + 1] = message
        end
      end
    end
    assert_no_problems(problems, "request paths")
    return matched
  end

  it("finds the OpenAPI descriptions", function()
    assert(cloudworks_path, cloudworks_missing)
    assert(auth_path, auth_missing)
  end)

  it("sends every request to a declared operation", function()
    require_tour()
    local problems = {}
    for _, entry in ipairs(log) do
      local document, path = cloudworks, entry.path:sub(#base + 1)
      if entry.path:sub(1, #base + 1) ~= base .. "/" then
        document, path = auth, entry.path
      end
      local match, message = document:match(entry.method, path)
      if not match then
        problems[#problems + 1] = message
      else
        for _, problem in ipairs(document:check_path(match)) do
          problems[#problems + 1] = entry.method .. " " .. entry.path .. ": " .. problem
        end
      end
    end
    assert_no_problems(problems, "request paths")
  end)

  it("calls all 31 live operations", function()
    require_tour()
    local called = {}
    for _, item in ipairs(matched_requests()) do
      called[key_of(item.match)] = true
    end
    local missing, live = {}, 0
    for _, entry in ipairs(cloudworks:operations()) do
      if not entry.operation.deprecated then
        live = live + 1
        local key = entry.method .. " " .. entry.template
        if not called[key] then
          missing[#missing + 1] = key
        end
      end
    end
    assert.are.equal(LIVE_OPERATION_COUNT, live)
    assert_no_problems(missing, "operations the tour never called")
  end)

  it("sends ids in the path in the API's form", function()
    require_tour()
    local problems = {}
    for _, item in ipairs(matched_requests()) do
      for name, value in pairs(item.match.path_values) do
        local valid
        if name == "actionId" then
          valid = value:match("^%d+$") ~= nil
        elseif name:match("Id$") then
          valid = #value == 32 and value:match("^[0-9a-f]+$") ~= nil
        else
          valid = true
        end
        if not valid then
          problems[#problems + 1] = string.format("%s %s: %s is %q", item.entry.method, item.entry.path, name, value)
        end
      end
    end
    assert_no_problems(problems, "path ids")
  end)

  it("sends only declared query parameters", function()
    require_tour()
    local problems = {}
    for _, entry in ipairs(log) do
      local is_cloudworks = entry.path:sub(1, #base + 1) == base .. "/"
      local document = is_cloudworks and cloudworks or auth
      local match = document:match(entry.method, is_cloudworks and entry.path:sub(#base + 1) or entry.path)
      if match then
        for _, problem in ipairs(document:check_query(match, entry.query, EXTRA_QUERY[key_of(match)])) do
          problems[#problems + 1] = entry.method .. " " .. entry.path .. "?" .. entry.query .. ": " .. problem
        end
      end
    end
    assert_no_problems(problems, "query strings")
  end)

  it("sends bodies that validate strictly against the request schemas", function()
    require_tour()
    local problems = {}
    local function add(entry, list)
      for _, problem in ipairs(list) do
        problems[#problems + 1] = entry.method .. " " .. entry.path .. ": " .. problem
      end
    end

    for _, item in ipairs(matched_requests()) do
      local entry, match = item.entry, item.match
      local key = key_of(match)
      local own_problems, body = cloudworks:check_request_body(match, entry.body, MASKED)

      if MIRRORS[key] and body ~= nil then
        local own_schema = cloudworks:request_schema(match)
        add(entry, cloudworks:validate(body, own_schema, "body", {}))
        local other = find_operation(cloudworks, MIRRORS[key])
        add(entry, cloudworks:validate(body, cloudworks:request_schema(other), "body",
          { strict = true, require_defaults = true, masked = MASKED }))
      elseif key == PATCH_CONNECTION and body ~= nil then
        -- A patch is strict about field names but may leave any field out:
        -- it is checked against the create body of the connection's type.
        add(entry, cloudworks:validate(body, cloudworks:request_schema(match), "body", {}))
        local connection_type = tour_result.connection_types[match.path_values.connectionId]
        assert(connection_type, "the tour patched a connection it did not create")
        local wrapped = { type = connection_type, body = body.body }
        add(entry, cloudworks:validate(wrapped, create_branch_for(cloudworks, connection_type), "body",
          { strict = true, partial = true, masked = MASKED }))
      else
        add(entry, own_problems)
      end
    end
    assert_no_problems(problems, "request bodies")
  end)

  it("gets responses to GET requests that match the 200 schemas", function()
    require_tour()
    local problems, json_templates, text_templates = {}, {}, {}
    for path, text in pairs(tour_result.responses) do
      assert.is_string(text, "client:request(..., raw) should return the response's text for " .. path)
      local match = assert(cloudworks:match("GET", path:match("^[^?]*")))
      local response = openapi.decode(text)
      if response == nil then
        text_templates[match.template] = true
      else
        json_templates[match.template] = true
        for _, problem in ipairs(cloudworks:check_response(match, 200, response)) do
          problems[#problems + 1] = "GET " .. path .. ": " .. problem
        end
        if not (openapi.is_object(response) and openapi.is_object(response.status) and response.status.code == 200) then
          problems[#problems + 1] = "GET " .. path .. ": the response has no status envelope with code 200"
        end
      end
    end
    assert_no_problems(problems, "GET responses")

    local function sorted(set)
      local list = {}
      for template in pairs(set) do
        list[#list + 1] = template
      end
      table.sort(list)
      return list
    end
    -- Error dumps are CSV text, and every other GET returns JSON.
    assert.are.same({
      "/integrations/run/{runId}/dumps",
      "/integrations/run/{runId}/process/import/{actionId}/dumps",
    }, sorted(text_templates))
    assert.are.same({
      "/integrationflows",
      "/integrationflows/{integrationFlowId}",
      "/integrations",
      "/integrations/connections",
      "/integrations/notification/{notificationId}",
      "/integrations/run/{runId}",
      "/integrations/runerror/{runId}",
      "/integrations/runs/{integrationId}",
      "/integrations/{integrationId}",
    }, sorted(json_templates))
  end)
end)
