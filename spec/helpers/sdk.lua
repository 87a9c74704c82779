-- Shared set-up for the end-to-end specs: an emulator, a client pointed at
-- it, the requests it received, and small inputs for each CloudWorks object.
--
-- Every spec file starts one emulator (sdk.start_emulator in setup), resets
-- it before each test (sdk.reset) and makes a fresh client for each test
-- (sdk.client), so no test depends on what another left behind.
-- sdk.client_for_each_test registers those hooks in one call.
local busted = require("busted")
local cjson = require("cjson")
local anaplan = require("anaplan")
local emulator_hooks = require("helpers.emulator")

local sdk = {}

sdk.USER_EMAIL = "dev@example.com"
sdk.PASSWORD = "dev"

-- Runs last 0.2 s in the emulator and specs poll every 0.05 s, so a whole
-- run fits in a few polls and the suite stays quick.
sdk.RUN_DURATION = 0.2
sdk.POLL_INTERVAL = 0.05

-- Ids the emulator accepts without a record behind them. The model id is
-- typed in lower case on purpose: the SDK must send it upper-cased.
sdk.WORKSPACE_ID = "8a868cda860a533a0186334e91805794"
sdk.MODEL_ID = "e2e3a0a8b2f54e4fa18d1d9c4b1f7f11"
sdk.MODEL_ID_SENT = sdk.MODEL_ID:upper()
sdk.USER_GUID = "8a80da9a6c9f4c2b016cb1d4a5a30a11"
sdk.IMPORT_ACTION_ID = 112000000001
sdk.EXPORT_ACTION_ID = 116000000001
sdk.FILE_ID = 113000000001
sdk.PROCESS_ID = 118000000001
sdk.SAS_TOKEN = "sp=r&st=2026-01-01&se=2027-01-01&sig=c2VjcmV0LXNhcy1zaWduYXR1cmU"

---------------------------------------------------------------------------
-- Emulator and client
---------------------------------------------------------------------------

-- Returns the options for anaplan.emulator.start: quick runs and a bounded
-- lifetime, with options added on top.
local function emulator_settings(options)
  local settings = { port = 0, run_duration = sdk.RUN_DURATION, max_lifetime = 900 }
  for key, value in pairs(options or {}) do
    settings[key] = value
  end
  return settings
end

-- Starts an emulator child process for one spec file. options go to
-- anaplan.emulator.start on top of quick runs and a bounded lifetime.
function sdk.start_emulator(options)
  return require("anaplan.emulator").start(emulator_settings(options))
end

-- Forgets everything the emulator stores and restores the settings a test
-- may have changed, so each test starts from the same place.
function sdk.reset(emulator, settings)
  emulator:reset()
  local config = { run_duration = sdk.RUN_DURATION }
  for key, value in pairs(settings or {}) do
    config[key] = value
  end
  emulator:configure(config)
end

-- Returns a client logged in with the emulator's default user. options are
-- added to (or override) the client options.
function sdk.client(emulator, options)
  local settings = {
    user_email = sdk.USER_EMAIL,
    password = sdk.PASSWORD,
    auth_url = emulator.auth_url,
    cloudworks_url = emulator.cloudworks_url,
    timeout = 10,
    connect_timeout = 5,
  }
  for key, value in pairs(options or {}) do
    settings[key] = value
  end
  return anaplan.Client(settings)
end

-- Registers the hooks of an end-to-end spec in the describe block being
-- defined: one emulator for the block, reset before each test, and a new
-- client for each test, closed after it. use(emulator, client) runs before
-- each test once both are ready, ahead of the block's own before_each
-- hooks. options.emulator goes to sdk.start_emulator, options.reset to
-- sdk.reset and options.client to sdk.client.
function sdk.client_for_each_test(use, options)
  options = options or {}
  local emulator, client

  emulator_hooks.share(emulator_settings(options.emulator), function(started)
    emulator = started
  end, function(started)
    sdk.reset(started, options.reset)
  end)

  busted.before_each(function()
    client = sdk.client(emulator, options.client)
    use(emulator, client)
  end)

  busted.after_each(function()
    -- before_each may have failed before it made the client.
    if client then
      client:close()
      client = nil
    end
  end)
end

---------------------------------------------------------------------------
-- The request log
---------------------------------------------------------------------------

-- Returns the path prefix of the emulator's CloudWorks base URL ("/2/0").
function sdk.base_path(emulator)
  return emulator.cloudworks_url:match("^https?://[^/]+(/.*)$") or ""
end

-- Returns the CloudWorks requests the emulator received, oldest first. Each
-- entry gains `route`, the path without the base URL's path.
function sdk.cloudworks_requests(emulator)
  local prefix = sdk.base_path(emulator)
  local found = {}
  for _, entry in ipairs(emulator:requests()) do
    if entry.path:sub(1, #prefix + 1) == prefix .. "/" then
      entry.route = entry.path:sub(#prefix + 1)
      found[#found + 1] = entry
    end
  end
  return found
end

-- Returns the last CloudWorks request the emulator received.
function sdk.last_request(emulator)
  local found = sdk.cloudworks_requests(emulator)
  assert(#found > 0, "the emulator received no CloudWorks request")
  return found[#found]
end

-- Decodes the JSON body of a logged request; nil when it had none.
function sdk.body_of(entry)
  if entry.body == nil or entry.body == "" then
    return nil
  end
  return cjson.decode(entry.body)
end

local function percent_decode(text)
  return (text:gsub("%%(%x%x)", function(hex)
    return string.char(tonumber(hex, 16))
  end))
end

-- Returns the query string of a logged request as a table of strings.
function sdk.query_of(entry)
  local query = {}
  for pair in (entry.query or ""):gmatch("[^&]+") do
    local name, value = pair:match("^([^=]*)=?(.*)$")
    query[percent_decode(name)] = percent_decode(value)
  end
  return query
end

-- Returns a short description of each logged CloudWorks request, for
-- comparing the whole sequence at once: "GET /integrations?limit=...".
function sdk.request_lines(emulator)
  local lines = {}
  for _, entry in ipairs(sdk.cloudworks_requests(emulator)) do
    local query = entry.query ~= nil and entry.query ~= "" and ("?" .. entry.query) or ""
    lines[#lines + 1] = entry.method .. " " .. entry.route .. query
  end
  return lines
end

---------------------------------------------------------------------------
-- Checks
---------------------------------------------------------------------------

-- Asserts that id is a CloudWorks id: 32 lowercase hexadecimal characters.
function sdk.assert_id(id, label)
  label = label or "id"
  assert(type(id) == "string", string.format("%s should be a string, got %s", label, type(id)))
  assert(#id == 32 and id:match("^[0-9a-f]+$"),
    string.format("%s should be 32 lowercase hexadecimal characters, got %q", label, id))
end

-- Calls fn(...) and returns the error it raises; fails when it returns, or
-- when the error is not an SDK error of that kind.
function sdk.error_of(kind, fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, "expected a " .. kind .. " error, but the call returned")
  assert(anaplan.errors.is(err), "expected an SDK error object, got: " .. tostring(err))
  assert(err.kind == kind, string.format("expected a %s error, got %s: %s", kind, tostring(err.kind),
    tostring(err.message)))
  return err
end

-- Clears the request log, expects fn(...) to raise a validation error, and
-- checks that nothing at all reached the emulator. Returns the error.
function sdk.rejected_before_sending(emulator, fn, ...)
  emulator:clear_requests()
  local err = sdk.error_of("validation", fn, ...)
  local sent = emulator:requests()
  assert(#sent == 0, string.format("a rejected call still sent %d request(s), the first %s %s",
    #sent, sent[1] and sent[1].method or "", sent[1] and sent[1].path or ""))
  return err
end

-- Returns the lines of an error message, one problem each.
function sdk.message_lines(err)
  local lines = {}
  for line in tostring(err.message):gmatch("[^\n]+") do
    lines[#lines + 1] = line
  end
  return lines
end

-- Returns true when one of the lines equals text exactly.
function sdk.has_line(lines, text)
  for _, line in ipairs(lines) do
    if line == text then
      return true
    end
  end
  return false
end

-- Returns the entry of err.errors whose loc is loc, or nil.
function sdk.error_at(err, loc)
  for _, entry in ipairs(err.errors or {}) do
    if entry.loc == loc then
      return entry
    end
  end
  return nil
end

-- Returns the constructors module. Specs load it on first use, so a spec
-- file that fails to load it still runs its tests of plain tables.
function sdk.models()
  return require("anaplan.cloud_works")
end

---------------------------------------------------------------------------
-- Inputs, shaped like the API's JSON
---------------------------------------------------------------------------

function sdk.azure_input(name)
  return {
    type = "AzureBlob",
    body = {
      name = name or "sales-blob",
      storageAccountName = "salesstorage",
      containerName = "planning",
      sasToken = sdk.SAS_TOKEN,
    },
  }
end

function sdk.s3_input(name)
  return {
    type = "AmazonS3",
    body = {
      name = name or "sales-s3",
      accessKeyId = "AKIAEXAMPLEKEY000001",
      secretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      bucketName = "sales-bucket",
    },
  }
end

-- A service-account key in the field names the API uses.
function sdk.service_account_key()
  return {
    type = "service_account",
    projectId = "planning-project",
    privateKeyId = "0123456789abcdef",
    privateKey = "-----BEGIN PRIVATE KEY-----\nMIIEexample\n-----END PRIVATE KEY-----\n",
    clientEmail = "loader@planning-project.iam.gserviceaccount.com",
    clientId = "100000000000000000001",
    authUri = "https://accounts.google.com/o/oauth2/auth",
    tokenUri = "https://oauth2.googleapis.com/token",
    authProviderX509CertUrl = "https://www.googleapis.com/oauth2/v1/certs",
    clientX509CertUrl = "https://www.googleapis.com/robot/v1/metadata/x509/loader",
  }
end

function sdk.bigquery_input(name)
  return {
    type = "GoogleBigQuery",
    body = {
      name = name or "sales-bigquery",
      dataset = "planning_dataset",
      serviceAccountKey = sdk.service_account_key(),
    },
  }
end

-- An import job from an Azure Blob file into an Anaplan import action.
function sdk.import_job(connection_id, file)
  return {
    type = "AzureBlobToAnaplan",
    sources = { { type = "AzureBlob", connectionId = connection_id, file = file or "in/sales.csv" } },
    targets = { { type = "Anaplan", actionId = sdk.IMPORT_ACTION_ID, fileId = sdk.FILE_ID } },
  }
end

-- An export job from an Anaplan export action to an Azure Blob file.
function sdk.export_job(connection_id, file)
  return {
    type = "AnaplanToAzureBlob",
    sources = { { type = "Anaplan", actionId = sdk.EXPORT_ACTION_ID } },
    targets = { { type = "AzureBlob", connectionId = connection_id, file = file or "out/report.csv" } },
  }
end

function sdk.import_integration_input(connection_id, name)
  return {
    name = name or "sales-import",
    version = "2.0",
    workspaceId = sdk.WORKSPACE_ID,
    modelId = sdk.MODEL_ID,
    jobs = { sdk.import_job(connection_id) },
  }
end

-- A process integration whose process runs an import, then an export.
function sdk.process_integration_input(connection_id, name)
  return {
    name = name or "sales-process",
    version = "2.0",
    workspaceId = sdk.WORKSPACE_ID,
    modelId = sdk.MODEL_ID,
    processId = sdk.PROCESS_ID,
    jobs = { sdk.import_job(connection_id), sdk.export_job(connection_id) },
  }
end

function sdk.weekly_schedule()
  return {
    name = "weekday-mornings",
    type = "weekly",
    time = "08:30",
    daysOfWeek = { 1, 3, 5 },
    startDate = "2026-01-05",
    endDate = "2026-12-31",
    timezone = "Europe/London",
  }
end

function sdk.notification_input(integration_id)
  return {
    integrationIds = { integration_id },
    channels = { "email", "in_app" },
    notifications = {
      config = {
        { type = "full_failure", users = { sdk.USER_GUID } },
      },
    },
  }
end

-- A flow of two integration steps, the second after the first.
function sdk.flow_input(first_id, second_id, name)
  return {
    name = name or "nightly-flow",
    version = "2.0",
    type = "IntegrationFlow",
    steps = {
      { type = "Integration", referrer = first_id, dependsOn = {}, isSkipped = false },
      { type = "Integration", referrer = second_id, dependsOn = { first_id }, isSkipped = false },
    },
  }
end

---------------------------------------------------------------------------
-- Objects made through the SDK
---------------------------------------------------------------------------

function sdk.make_connection(cw, name)
  return cw:create_connection(sdk.azure_input(name))
end

function sdk.make_import_integration(cw, connection_id, name)
  return cw:create_integration(sdk.import_integration_input(connection_id, name))
end

-- Runs an integration to its end and returns the run id.
function sdk.finished_run(cw, integration_id)
  local run_id = cw:run_integration(integration_id)
  cw:wait_for_run(run_id, { interval = sdk.POLL_INTERVAL, timeout = 10 })
  return run_id
end

return sdk
