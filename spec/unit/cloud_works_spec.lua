-- require("anaplan.cloud_works"): one constructor per input model, each
-- returning the API-shaped table with its defaults filled in.
local core = require("anaplan.core")
local cw = require("anaplan.cloud_works")

local WORKSPACE = "8a868cda860a533a0186334e91805794"
local MODEL = "e2e3a0a8b2f54e4fa18d1d9c4b1f7f11"
local CONNECTION = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
local INTEGRATION = "5c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f"
local OTHER = "6d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a"
local USER = "8a80da9a6c9f4c2b016cb1d4a5a30a11"

-- A minimal snake_case input for each constructor, and what it returns.
local CASES = {
  AzureBlobConnectionInput = {
    { name = "landing", storage_account_name = "acme", container_name = "exports", sas_token = "tok" },
    { name = "landing", storageAccountName = "acme", containerName = "exports", sasToken = "tok", auth_method = "SAS-based" },
  },
  AmazonS3ConnectionInput = {
    { name = "s3", access_key_id = "AKIA", secret_access_key = "key", bucket_name = "in" },
    { name = "s3", accessKeyId = "AKIA", secretAccessKey = "key", bucketName = "in" },
  },
  GoogleBigQueryConnectionInput = {
    { name = "bq", dataset = "sales", service_account_key = { project_id = "p" } },
    { name = "bq", dataset = "sales", serviceAccountKey = { project_id = "p" } },
  },
  ConnectionInput = {
    { type = "AmazonS3", body = { name = "s3", access_key_id = "AKIA", secret_access_key = "key", bucket_name = "in" } },
    { type = "AmazonS3", body = { name = "s3", accessKeyId = "AKIA", secretAccessKey = "key", bucketName = "in" } },
  },
  FileSource = {
    { type = "AzureBlob", connection_id = CONNECTION, file = "in.csv" },
    { type = "AzureBlob", connectionId = CONNECTION, file = "in.csv" },
  },
  AnaplanSource = {
    { action_id = 116000000001 },
    { type = "Anaplan", actionId = "116000000001" },
  },
  TableSource = {
    { connection_id = CONNECTION, table = "sales" },
    { type = "GoogleBigQuery", connectionId = CONNECTION, table = "sales" },
  },
  FileTarget = {
    { type = "AmazonS3", connection_id = CONNECTION, file = "out.csv" },
    { type = "AmazonS3", connectionId = CONNECTION, file = "out.csv", overwrite = true },
  },
  TableTarget = {
    { connection_id = CONNECTION, table = "sales" },
    { type = "GoogleBigQuery", connectionId = CONNECTION, table = "sales", overwrite = false },
  },
  AnaplanTarget = {
    { action_id = 112000000001, file_id = 113000000001 },
    { type = "Anaplan", actionId = "112000000001", fileId = "113000000001" },
  },
  IntegrationJobInput = {
    { type = "AnaplanToAmazonS3", sources = { { action_id = 1 } },
      targets = { { type = "AmazonS3", connection_id = CONNECTION, file = "out.csv" } } },
    { type = "AnaplanToAmazonS3", sources = { { type = "Anaplan", actionId = "1" } },
      targets = { { type = "AmazonS3", connectionId = CONNECTION, file = "out.csv", overwrite = true } } },
  },
  IntegrationInput = {
    { name = "i", workspace_id = WORKSPACE, model_id = MODEL, jobs = { {
      type = "GoogleBigQueryToAnaplan", sources = { { connection_id = CONNECTION, table = "t" } },
      targets = { { action_id = 2, file_id = 3 } } } } },
    { name = "i", version = "2.0", workspaceId = WORKSPACE, modelId = MODEL:upper(), nuxVisible = false, jobs = { {
      type = "GoogleBigQueryToAnaplan", sources = { { type = "GoogleBigQuery", connectionId = CONNECTION, table = "t" } },
      targets = { { type = "Anaplan", actionId = "2", fileId = "3" } } } } },
  },
  IntegrationProcessInput = {
    { name = "p", workspace_id = WORKSPACE, model_id = MODEL, process_id = 118000000001 },
    { name = "p", version = "2.0", workspaceId = WORKSPACE, modelId = MODEL:upper(), nuxVisible = false,
      processId = "118000000001" },
  },
  ScheduleInput = {
    { name = "s", type = "daily", time = "07:00", start_date = "2026-05-01", timezone = "Asia/Tokyo" },
    { name = "s", type = "daily", time = "07:00", startDate = "2026-05-01", timezone = "Asia/Tokyo" },
  },
  NotificationInput = {
    { integration_ids = { INTEGRATION }, channels = { "in_app" },
      notifications = { config = { { type = "success", users = { USER } } } } },
    { integrationIds = { INTEGRATION }, channels = { "in_app" },
      notifications = { config = { { type = "success", users = { USER } } } } },
  },
  NotificationItemInput = {
    { type = "partial_failure", users = { USER } },
    { type = "partial_failure", users = { USER } },
  },
  FlowInput = {
    { name = "f", steps = { { referrer = INTEGRATION }, { referrer = OTHER, depends_on = { INTEGRATION } } } },
    { name = "f", version = "2.0", type = "IntegrationFlow", steps = {
      { type = "Integration", referrer = INTEGRATION, dependsOn = {}, isSkipped = false, exceptionBehavior = {
        { type = "failure", strategy = "stop" }, { type = "partial_success", strategy = "continue" } } },
      { type = "Integration", referrer = OTHER, dependsOn = { INTEGRATION }, isSkipped = false, exceptionBehavior = {
        { type = "failure", strategy = "stop" }, { type = "partial_success", strategy = "continue" } } },
    } },
  },
  FlowStepInput = {
    { referrer = INTEGRATION },
    { type = "Integration", referrer = INTEGRATION, dependsOn = {}, isSkipped = false, exceptionBehavior = {
      { type = "failure", strategy = "stop" }, { type = "partial_success", strategy = "continue" } } },
  },
  ExceptionBehavior = {
    { type = "failure", strategy = "continue" },
    { type = "failure", strategy = "continue" },
  },
}

describe("anaplan.cloud_works", function()
  it("exports one constructor per input model", function()
    local names = {}
    for name, constructor in pairs(cw) do
      assert.equal("function", type(constructor))
      names[#names + 1] = name
    end
    table.sort(names)
    local expected = {}
    for name in pairs(CASES) do
      expected[#expected + 1] = name
    end
    table.sort(expected)
    assert.same(expected, names)
  end)

  for name, case in pairs(CASES) do
    it(name .. " returns API names with defaults filled", function()
      assert.same(case[2], cw[name](case[1]))
    end)

    it(name .. " returns the same table for its own output", function()
      local once = cw[name](case[1])
      assert.same(once, cw[name](once))
    end)
  end

  it("accepts nested constructor outputs", function()
    local connection = cw.ConnectionInput{
      type = "AzureBlob",
      body = cw.AzureBlobConnectionInput{ name = "n", storage_account_name = "a", container_name = "c", sas_token = "t" },
    }
    assert.equal("SAS-based", connection.body.auth_method)

    local integration = cw.IntegrationInput{
      name = "export", workspace_id = WORKSPACE, model_id = MODEL,
      jobs = { cw.IntegrationJobInput{
        type = "AnaplanToAzureBlob",
        sources = { cw.AnaplanSource{ action_id = 116000000001 } },
        targets = { cw.FileTarget{ type = "AzureBlob", connection_id = CONNECTION, file = "out.csv", overwrite = false } },
      } },
    }
    assert.is_false(integration.jobs[1].targets[1].overwrite)

    local flow = cw.FlowInput{ name = "f", steps = {
      cw.FlowStepInput{ referrer = INTEGRATION, exception_behavior = { cw.ExceptionBehavior{ type = "failure", strategy = "continue" } } },
      cw.FlowStepInput{ referrer = OTHER, depends_on = { INTEGRATION } },
    } }
    assert.equal("continue", flow.steps[1].exceptionBehavior[1].strategy)

    local notification = cw.NotificationInput{
      integration_ids = { INTEGRATION }, channels = { "email" },
      notifications = { config = { cw.NotificationItemInput{ type = "success", users = { USER } } } },
    }
    assert.equal(USER, notification.notifications.config[1].users[1])
  end)

  it("gives the dispatcher the same body as the constructor", function()
    local schedule = cw.ScheduleInput(CASES.ScheduleInput[1])
    assert.equal(core.encode("ScheduleInput", CASES.ScheduleInput[1]), core.encode("ScheduleInput", schedule))
  end)

  it("raises a validation error object for bad input", function()
    local ok, err = pcall(cw.FileSource, { type = "AmazonS3", file = "in.csv" })
    assert.is_false(ok)
    assert.equal("anaplan.Error", getmetatable(err).__name)
    assert.equal("validation", err.kind)
    assert.same({ { loc = "body.FileSource.connectionId", msg = "Field required" } }, err.errors)
  end)
end)
