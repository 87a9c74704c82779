-- The validation engine: locations, messages, spellings, raw access and the
-- limits on what input tables may look like. Model-specific rules live in
-- the models_*_spec files.
local core = require("anaplan.core")
local schema = require("helpers.schema")

local WORKSPACE = "8a868cda860a533a0186334e91805794"
local CONNECTION = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"

local failure, problems = schema.failure, schema.problems

local function azure_body()
  return {
    name = "landing",
    storage_account_name = "acme",
    container_name = "exports",
    sas_token = "sv=2024&sig=TOPSECRET",
  }
end

local function s3_job()
  return {
    type = "AmazonS3ToAnaplan",
    sources = { { type = "AmazonS3", connection_id = CONNECTION, file = "in.csv" } },
    targets = { { action_id = 112000000001, file_id = 113000000001 } },
  }
end

describe("schema locations", function()
  it("names a missing field under body and the model", function()
    local body = azure_body()
    body.name = nil
    assert.same({ "body.AzureBlobConnectionInput.name Field required" },
      problems("AzureBlobConnectionInput", body))
  end)

  it("numbers array items from 1", function()
    local job = s3_job()
    job.sources[1].file = nil
    assert.same({ "body.IntegrationJobInput.sources.1.FileSource.file Field required" },
      problems("IntegrationJobInput", job))
  end)

  it("adds only the field name for a nested plain model", function()
    local input = {
      integration_ids = { WORKSPACE },
      channels = { "email" },
      notifications = { config = { { type = "success" } } },
    }
    assert.same({ "body.NotificationInput.notifications.config.1.users Field required" },
      problems("NotificationInput", input))
  end)

  it("names the value itself when it is not a table", function()
    assert.same({ "body.AzureBlobConnectionInput Input should be an object" },
      problems("AzureBlobConnectionInput", "landing"))
    assert.same({ "body.AzureBlobConnectionInput Input should be an object" },
      problems("AzureBlobConnectionInput", nil))
  end)
end)

describe("schema problems", function()
  it("collects every problem, not only the first", function()
    assert.same({
      "body.AzureBlobConnectionInput.name Field required",
      "body.AzureBlobConnectionInput.storageAccountName Input should be a string",
      "body.AzureBlobConnectionInput.containerName Field required",
      "body.AzureBlobConnectionInput.sasToken Field required",
      "body.AzureBlobConnectionInput.workspaceId Input should be an id of 32 hexadecimal characters",
    }, problems("AzureBlobConnectionInput", { storage_account_name = 5, workspace_id = "w1" }))
  end)

  it("lists the problems one a line in the message", function()
    local err = failure("AzureBlobConnectionInput", { storage_account_name = 5 })
    local lines = {}
    for i, problem in ipairs(err.errors) do
      lines[i] = problem.loc .. " " .. problem.msg
    end
    assert.equal(table.concat(lines, "\n"), err.message)
    assert.equal("anaplan validation error: " .. err.message, tostring(err))
  end)

  it("caps the message at 100 lines and keeps every problem", function()
    local steps = {}
    for i = 1, 100 do
      steps[i] = { referrer = "step" .. i }
    end
    local err = failure("FlowInput", { name = "nightly", steps = steps })
    assert.equal(199, #err.errors)
    local shown = select(2, err.message:gsub("\n", "\n")) + 1
    assert.equal(101, shown)
    assert.truthy(err.message:find("\n(and 99 more problems)", 1, true))
  end)

  it("raises a usage error for an unknown model", function()
    local ok, err = pcall(core.validate, "NoSuchModel", {})
    assert.is_false(ok)
    assert.equal("usage", err.kind)
    assert.equal("unknown model 'NoSuchModel'; core.models() lists the known ones", err.message)
  end)

  it("lists every model once", function()
    local names, seen = core.models(), {}
    for _, name in ipairs(names) do
      assert.is_nil(seen[name], name .. " listed twice")
      seen[name] = true
    end
    for _, name in ipairs({
      "AzureBlobConnectionInput", "AmazonS3ConnectionInput", "GoogleBigQueryConnectionInput",
      "ConnectionInput", "ConnectionUpdate", "ConnectionPatch", "FileSource", "TableSource",
      "AnaplanSource", "FileTarget", "TableTarget", "AnaplanTarget", "IntegrationJobInput",
      "IntegrationInput", "IntegrationProcessInput", "IntegrationCreate", "ScheduleInput",
      "ScheduleRequest", "NotificationItemInput", "NotificationInput", "ExceptionBehavior",
      "FlowStepInput", "FlowInput", "FlowRunInput",
    }) do
      assert.is_true(seen[name], name .. " missing")
    end
  end)
end)

describe("schema spellings", function()
  it("accepts snake_case names and returns API names", function()
    local out = core.validate("AzureBlobConnectionInput", azure_body())
    assert.same({
      name = "landing",
      storageAccountName = "acme",
      containerName = "exports",
      sasToken = "sv=2024&sig=TOPSECRET",
      auth_method = "SAS-based",
    }, out)
  end)

  it("accepts API names", function()
    local out = core.validate("AzureBlobConnectionInput", {
      name = "landing", storageAccountName = "acme", containerName = "exports", sasToken = "t",
    })
    assert.equal("acme", out.storageAccountName)
  end)

  it("accepts a mix of spellings across fields", function()
    local out = core.validate("AzureBlobConnectionInput", {
      name = "landing", storageAccountName = "acme", container_name = "exports", sasToken = "t",
    })
    assert.equal("exports", out.containerName)
  end)

  it("rejects a field given under both spellings", function()
    local body = azure_body()
    body.storageAccountName = "other"
    assert.same({
      "body.AzureBlobConnectionInput.storageAccountName Field given twice, as 'storage_account_name' and 'storageAccountName'",
    }, problems("AzureBlobConnectionInput", body))
  end)

  it("suggests the nearest field in API spelling", function()
    local body = azure_body()
    body.storage_account_name = nil
    body.storageAccount = "acme"
    assert.same({
      "body.AzureBlobConnectionInput.storageAccountName Field required",
      "body.AzureBlobConnectionInput.storageAccount Unknown field; did you mean 'storageAccountName'?",
    }, problems("AzureBlobConnectionInput", body))
  end)

  it("suggests the snake_case spelling for a snake_case key", function()
    local body = azure_body()
    body.container_name = nil
    body.contianer_name = "exports"
    assert.same({
      "body.AzureBlobConnectionInput.containerName Field required",
      "body.AzureBlobConnectionInput.contianer_name Unknown field; did you mean 'container_name'?",
    }, problems("AzureBlobConnectionInput", body))
  end)

  it("lists the accepted fields when no name is close", function()
    local body = azure_body()
    body.colour = "blue"
    assert.same({
      "body.AzureBlobConnectionInput.colour Unknown field; expected one of 'name', 'storageAccountName', "
        .. "'containerName', 'sasToken', 'auth_method', 'workspaceId'",
    }, problems("AzureBlobConnectionInput", body))
  end)

  it("reports unknown keys in byte order", function()
    local body = azure_body()
    body.zeta, body.alpha, body.Mid = 1, 2, 3
    local lines = problems("AzureBlobConnectionInput", body)
    assert.equal(3, #lines)
    assert.truthy(lines[1]:find("^body%.AzureBlobConnectionInput%.Mid "))
    assert.truthy(lines[2]:find("^body%.AzureBlobConnectionInput%.alpha "))
    assert.truthy(lines[3]:find("^body%.AzureBlobConnectionInput%.zeta "))
  end)

  it("cuts and escapes an unknown key in its location", function()
    local body = azure_body()
    body[("k"):rep(100) .. "\n"] = true
    local lines = problems("AzureBlobConnectionInput", body)
    assert.equal("body.AzureBlobConnectionInput." .. ("k"):rep(64) .. "... Unknown field; expected one of "
      .. "'name', 'storageAccountName', 'containerName', 'sasToken', 'auth_method', 'workspaceId'", lines[1])
  end)
end)

describe("schema scalar values", function()
  local function schedule(overrides)
    local input = {
      name = "monthly", type = "monthly_specific_day", time = "06:30", day_of_month = 12,
      start_date = "2026-01-01", timezone = "Europe/Paris",
    }
    for key, value in pairs(overrides or {}) do
      input[key] = value
    end
    return input
  end

  it("rejects a number where a string is expected", function()
    local body = azure_body()
    body.name = 42
    assert.same({ "body.AzureBlobConnectionInput.name Input should be a string" },
      problems("AzureBlobConnectionInput", body))
  end)

  it("rejects an empty required string", function()
    local body = azure_body()
    body.name = ""
    assert.same({ "body.AzureBlobConnectionInput.name String should not be empty" },
      problems("AzureBlobConnectionInput", body))
  end)

  it("accepts an empty optional string", function()
    local out = core.validate("AmazonS3ConnectionInput", {
      name = "s3", access_key_id = "AKIA", secret_access_key = "k", bucket_name = "b", role_arn = "",
    })
    assert.equal("", out.roleArn)
  end)

  it("rejects invalid UTF-8 in a string", function()
    local body = azure_body()
    body.name = "caf\xe9"
    assert.same({ "body.AzureBlobConnectionInput.name Input should be valid UTF-8 text" },
      problems("AzureBlobConnectionInput", body))
  end)

  it("accepts a huge string", function()
    local body = azure_body()
    body.container_name = ("x"):rep(8 * 1024 * 1024)
    local json = core.encode("AzureBlobConnectionInput", body)
    assert.truthy(json:find('"containerName":"' .. ("x"):rep(8 * 1024 * 1024) .. '"', 1, true))
  end)

  it("rejects a boolean field given as a string", function()
    local target = { type = "AmazonS3", connection_id = CONNECTION, file = "out.csv", overwrite = "yes" }
    assert.same({ "body.FileTarget.overwrite Input should be a boolean" }, problems("FileTarget", target))
  end)

  it("accepts an integral float as an integer", function()
    local out = core.validate("ScheduleInput", schedule({ day_of_month = 12.0 }))
    assert.equal("integer", math.type(out.dayOfMonth))
    assert.truthy(core.encode("ScheduleInput", schedule({ day_of_month = 12.0 })):find('"dayOfMonth":12,', 1, true))
  end)

  it("rejects a fractional number as an integer", function()
    assert.same({ "body.ScheduleInput.dayOfMonth Input should be an integer, not 12.5" },
      problems("ScheduleInput", schedule({ day_of_month = 12.5 })))
  end)

  it("rejects NaN", function()
    assert.same({ "body.ScheduleInput.dayOfMonth Input should be a finite number" },
      problems("ScheduleInput", schedule({ day_of_month = 0 / 0 })))
  end)

  it("rejects infinities", function()
    assert.same({ "body.ScheduleInput.dayOfMonth Input should be a finite number" },
      problems("ScheduleInput", schedule({ day_of_month = math.huge })))
    assert.same({ "body.ScheduleInput.dayOfMonth Input should be a finite number" },
      problems("ScheduleInput", schedule({ day_of_month = -math.huge })))
  end)

  it("rejects a float beyond the integer range", function()
    assert.same({ "body.ScheduleInput.dayOfMonth Input should be an integer, not 1e+19" },
      problems("ScheduleInput", schedule({ day_of_month = 1e19 })))
  end)

  it("shows the wrong value of an enum", function()
    assert.same({ "type Input should be one of 'AzureBlob', 'AmazonS3', 'GoogleBigQuery', not 'Azure'" },
      problems("ConnectionInput", { type = "Azure", body = azure_body() }))
  end)

  it("names the type of a wrong non-string enum value", function()
    assert.same({ "type Input should be one of 'AzureBlob', 'AmazonS3', 'GoogleBigQuery', not a table" },
      problems("ConnectionInput", { type = {}, body = azure_body() }))
  end)

  it("cuts a long wrong value to 64 bytes", function()
    local lines = problems("ConnectionInput", { type = ("A"):rep(1000), body = azure_body() })
    assert.equal("type Input should be one of 'AzureBlob', 'AmazonS3', 'GoogleBigQuery', not '"
      .. ("A"):rep(64) .. "...'", lines[1])
  end)

  it("escapes control characters and quotes in a shown value", function()
    local lines = problems("ConnectionInput", { type = "a'b\n\0", body = azure_body() })
    assert.equal("type Input should be one of 'AzureBlob', 'AmazonS3', 'GoogleBigQuery', not 'a\\x27b\\x0a\\x00'",
      lines[1])
  end)
end)

describe("schema table shapes", function()
  it("rejects a table with array items where an object is expected", function()
    local body = azure_body()
    body[1] = "stray"
    assert.same({ "body.AzureBlobConnectionInput Input should be an object" },
      problems("AzureBlobConnectionInput", body))
  end)

  it("rejects a table with holes where an array is expected", function()
    local input = { name = "i", workspace_id = WORKSPACE, model_id = WORKSPACE, jobs = { [1] = s3_job(), [3] = s3_job() } }
    assert.same({ "body.IntegrationInput.jobs Input should be an array" }, problems("IntegrationInput", input))
  end)

  it("rejects a table with string keys where an array is expected", function()
    local input = { name = "i", workspace_id = WORKSPACE, model_id = WORKSPACE, jobs = { first = s3_job() } }
    assert.same({ "body.IntegrationInput.jobs Input should be an array" }, problems("IntegrationInput", input))
  end)

  it("rejects a scalar where an array is expected", function()
    local input = { name = "i", workspace_id = WORKSPACE, model_id = WORKSPACE, jobs = "all" }
    assert.same({ "body.IntegrationInput.jobs Input should be an array" }, problems("IntegrationInput", input))
  end)

  it("refuses a table that contains itself", function()
    local input = { name = "i", workspace_id = WORKSPACE, model_id = WORKSPACE }
    input.jobs = { input }
    assert.same({ "body.IntegrationInput.jobs.1 Input contains itself (a cyclic table)" },
      problems("IntegrationInput", input))
  end)

  it("refuses a cycle through a nested array", function()
    local job = s3_job()
    job.sources = { job }
    assert.same({ "body.IntegrationJobInput.sources.1.FileSource Input contains itself (a cyclic table)" },
      problems("IntegrationJobInput", job))
  end)

  it("accepts one table used twice without a cycle", function()
    local job = s3_job()
    local out = core.validate("IntegrationInput", {
      name = "i", workspace_id = WORKSPACE, model_id = WORKSPACE, jobs = { job, job },
    })
    assert.equal(2, #out.jobs)
    assert.same(out.jobs[1], out.jobs[2])
  end)

  it("refuses deeply nested tables with a message, not a crash", function()
    local deep = {}
    for _ = 1, 100000 do
      deep = { deep }
    end
    assert.same({ "body.IntegrationInput.jobs.1 Input should be an object" },
      problems("IntegrationInput", { name = "i", workspace_id = WORKSPACE, model_id = WORKSPACE, jobs = { deep[1][1] } }))
    assert.same({ "body.IntegrationInput.jobs.1.sources.1.FileSource Input should be an object" },
      problems("IntegrationInput", {
        name = "i", workspace_id = WORKSPACE, model_id = WORKSPACE,
        jobs = { { type = "AmazonS3ToAnaplan", sources = deep, targets = { { action_id = 1, file_id = 2 } } } },
      }))
  end)
end)

describe("schema raw access", function()
  local function trap()
    local function raise()
      error("a metamethod ran")
    end
    return {
      __index = raise, __newindex = raise, __pairs = raise, __len = raise, __eq = raise,
      __lt = raise, __le = raise, __tostring = raise, __call = raise, __concat = raise,
    }
  end

  it("never calls a metamethod of the input", function()
    local body = setmetatable(azure_body(), trap())
    local input = setmetatable({ type = "AzureBlob", body = body }, trap())
    local out = core.validate("ConnectionInput", input)
    assert.equal("acme", out.body.storageAccountName)
    assert.truthy(core.encode("ConnectionInput", input):find('"storageAccountName":"acme"', 1, true))
  end)

  it("ignores fields that only __index provides", function()
    local body = azure_body()
    body.name = nil
    setmetatable(body, { __index = { name = "from a metatable" } })
    assert.same({ "body.AzureBlobConnectionInput.name Field required" },
      problems("AzureBlobConnectionInput", body))
  end)

  it("reads arrays without __len or __index", function()
    local job = s3_job()
    setmetatable(job.sources, trap())
    setmetatable(job.targets, trap())
    local out = core.validate("IntegrationJobInput", job)
    assert.equal("in.csv", out.sources[1].file)
  end)

  it("returns tables without the input's metatables", function()
    local out = core.validate("ConnectionInput", setmetatable({ type = "AzureBlob", body = azure_body() }, trap()))
    assert.is_nil(getmetatable(out))
  end)
end)

describe("schema outputs", function()
  it("writes from encode what validate returns", function()
    local cjson = require("cjson")
    local input = { type = "AzureBlob", body = azure_body() }
    local decoded = cjson.decode(core.encode("ConnectionInput", input))
    assert.same(core.validate("ConnectionInput", input), decoded)
  end)

  it("encodes a validated table to the same JSON", function()
    local input = { name = "i", workspace_id = WORKSPACE, model_id = WORKSPACE, jobs = { s3_job() } }
    assert.equal(core.encode("IntegrationCreate", input),
      core.encode("IntegrationCreate", core.validate("IntegrationCreate", input)))
  end)

  it("returns the same table when given its own output", function()
    local inputs = {
      ConnectionUpdate = azure_body(),
      ConnectionPatch = { sas_token = "new" },
      IntegrationCreate = { name = "p", workspace_id = WORKSPACE, model_id = WORKSPACE, jobs = {}, process_id = 7 },
      ScheduleRequest = { integration_id = WORKSPACE, schedule = {
        name = "s", type = "weekly", time = "01:00", days_of_week = { 3 }, start_date = "2026-01-05", timezone = "Greenwich",
      } },
      FlowRunInput = { steps_to_run = { CONNECTION } },
    }
    for model, input in pairs(inputs) do
      local once = core.validate(model, input)
      assert.same(once, core.validate(model, once), model)
      assert.equal(core.encode(model, input), core.encode(model, once), model)
    end
  end)

  it("leaves the input table unchanged", function()
    local body = azure_body()
    core.validate("AzureBlobConnectionInput", body)
    assert.same(azure_body(), body)
  end)

  it("raises the same problems from encode as from validate", function()
    local ok, err = pcall(core.encode, "AzureBlobConnectionInput", { name = 1 })
    assert.is_false(ok)
    assert.same(failure("AzureBlobConnectionInput", { name = 1 }).errors, err.errors)
  end)
end)
