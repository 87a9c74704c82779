-- Integration models: sources, targets, jobs (whose type fixes the source
-- and target kinds) and the integrations that hold them.
local core = require("anaplan.core")
local schema = require("helpers.schema")

local WORKSPACE = "8a868cda860a533a0186334e91805794"
local MODEL = "e2e3a0a8b2f54e4fa18d1d9c4b1f7f11"
local CONNECTION = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"

local problems = schema.problems

local function file_source(kind)
  return { type = kind, connection_id = CONNECTION, file = "in/sales.csv" }
end

local function import_job()
  return {
    type = "AmazonS3ToAnaplan",
    sources = { file_source("AmazonS3") },
    targets = { { action_id = 112000000001, file_id = 113000000001 } },
  }
end

local function integration(jobs)
  return { name = "Daily sales", workspace_id = WORKSPACE, model_id = MODEL, jobs = jobs }
end

describe("sources and targets", function()
  it("sends a file source with a lowercase connection id", function()
    local source = file_source("AzureBlob")
    source.connection_id = CONNECTION:upper()
    assert.equal('{"type":"AzureBlob","connectionId":"' .. CONNECTION .. '","file":"in/sales.csv"}',
      core.encode("FileSource", source))
  end)

  it("rejects a file source of a table store", function()
    assert.same({ "body.FileSource.type Input should be one of 'AzureBlob', 'AmazonS3', not 'GoogleBigQuery'" },
      problems("FileSource", file_source("GoogleBigQuery")))
  end)

  it("fills the type of a table source", function()
    assert.equal('{"type":"GoogleBigQuery","connectionId":"' .. CONNECTION .. '","table":"sales"}',
      core.encode("TableSource", { connection_id = CONNECTION, table = "sales" }))
  end)

  it("sends an Anaplan source's action id as a string", function()
    assert.equal('{"type":"Anaplan","actionId":"116000000001"}',
      core.encode("AnaplanSource", { action_id = 116000000001 }))
  end)

  it("overwrites by default for a file target", function()
    assert.equal('{"type":"AmazonS3","connectionId":"' .. CONNECTION .. '","file":"out.csv","overwrite":true}',
      core.encode("FileTarget", { type = "AmazonS3", connection_id = CONNECTION, file = "out.csv" }))
  end)

  it("does not overwrite by default for a table target", function()
    assert.equal('{"type":"GoogleBigQuery","connectionId":"' .. CONNECTION .. '","table":"t","overwrite":false}',
      core.encode("TableTarget", { connection_id = CONNECTION, table = "t" }))
  end)

  it("sends an Anaplan target's ids as strings", function()
    assert.equal('{"type":"Anaplan","actionId":"112000000001","fileId":"113000000001"}',
      core.encode("AnaplanTarget", { action_id = "112000000001", file_id = 113000000001 }))
  end)

  it("rejects an Anaplan target without a file id", function()
    assert.same({ "body.AnaplanTarget.fileId Field required" }, problems("AnaplanTarget", { action_id = 1 }))
  end)

  it("rejects a non-numeric action id", function()
    assert.same({
      "body.AnaplanSource.actionId Input should be a numeric id: a non-negative integer or a string of 1 to 20 digits, not 'import-1'",
    }, problems("AnaplanSource", { action_id = "import-1" }))
  end)
end)

describe("IntegrationJobInput", function()
  local anaplan_source = { action_id = 116000000001 }
  local anaplan_target = { action_id = 112000000001, file_id = 113000000001 }
  local table_part = { connection_id = CONNECTION, table = "sales" }
  local cases = {
    { "AmazonS3ToAnaplan", file_source("AmazonS3"), anaplan_target,
      '{"type":"AmazonS3","connectionId":"' .. CONNECTION .. '","file":"in/sales.csv"}',
      '{"type":"Anaplan","actionId":"112000000001","fileId":"113000000001"}' },
    { "AzureBlobToAnaplan", file_source("AzureBlob"), anaplan_target,
      '{"type":"AzureBlob","connectionId":"' .. CONNECTION .. '","file":"in/sales.csv"}',
      '{"type":"Anaplan","actionId":"112000000001","fileId":"113000000001"}' },
    { "GoogleBigQueryToAnaplan", table_part, anaplan_target,
      '{"type":"GoogleBigQuery","connectionId":"' .. CONNECTION .. '","table":"sales"}',
      '{"type":"Anaplan","actionId":"112000000001","fileId":"113000000001"}' },
    { "AnaplanToAmazonS3", anaplan_source, file_source("AmazonS3"),
      '{"type":"Anaplan","actionId":"116000000001"}',
      '{"type":"AmazonS3","connectionId":"' .. CONNECTION .. '","file":"in/sales.csv","overwrite":true}' },
    { "AnaplanToAzureBlob", anaplan_source, file_source("AzureBlob"),
      '{"type":"Anaplan","actionId":"116000000001"}',
      '{"type":"AzureBlob","connectionId":"' .. CONNECTION .. '","file":"in/sales.csv","overwrite":true}' },
    { "AnaplanToGoogleBigQuery", anaplan_source, table_part,
      '{"type":"Anaplan","actionId":"116000000001"}',
      '{"type":"GoogleBigQuery","connectionId":"' .. CONNECTION .. '","table":"sales","overwrite":false}' },
  }
  for _, case in ipairs(cases) do
    local job_type, source, target, source_json, target_json = table.unpack(case)
    it("builds a " .. job_type .. " job from its source and target kinds", function()
      assert.equal('{"type":"' .. job_type .. '","sources":[' .. source_json .. '],"targets":[' .. target_json .. ']}',
        core.encode("IntegrationJobInput", { type = job_type, sources = { source }, targets = { target } }))
    end)
  end

  it("rejects an Anaplan source in an import job", function()
    local job = import_job()
    job.type = "AzureBlobToAnaplan"
    job.sources = { { type = "Anaplan", action_id = 116000000001 } }
    assert.same({
      "body.IntegrationJobInput.sources.1.FileSource.type Input should be 'AzureBlob' for type 'AzureBlobToAnaplan', not 'Anaplan'",
    }, problems("IntegrationJobInput", job))
  end)

  it("rejects a file source of the other store", function()
    local job = import_job()
    job.sources = { file_source("AzureBlob") }
    assert.same({
      "body.IntegrationJobInput.sources.1.FileSource.type Input should be 'AmazonS3' for type 'AmazonS3ToAnaplan', not 'AzureBlob'",
    }, problems("IntegrationJobInput", job))
  end)

  it("rejects a file target in a BigQuery export", function()
    local job = { type = "AnaplanToGoogleBigQuery", sources = { { action_id = 1 } }, targets = { file_source("AmazonS3") } }
    assert.same({
      "body.IntegrationJobInput.targets.1.TableTarget.type Input should be 'GoogleBigQuery' for type 'AnaplanToGoogleBigQuery', not 'AmazonS3'",
    }, problems("IntegrationJobInput", job))
  end)

  it("checks the source against the kind the job type picks", function()
    local job = import_job()
    job.sources = { { connection_id = CONNECTION } }
    assert.same({
      "body.IntegrationJobInput.sources.1.FileSource.type Field required",
      "body.IntegrationJobInput.sources.1.FileSource.file Field required",
    }, problems("IntegrationJobInput", job))
  end)

  it("leaves sources unchecked when the job type is invalid", function()
    local job = import_job()
    job.type = "S3ToAnaplan"
    assert.same({
      "body.IntegrationJobInput.type Input should be one of 'AmazonS3ToAnaplan', 'AzureBlobToAnaplan', "
        .. "'GoogleBigQueryToAnaplan', 'AnaplanToAmazonS3', 'AnaplanToAzureBlob', 'AnaplanToGoogleBigQuery', not 'S3ToAnaplan'",
    }, problems("IntegrationJobInput", job))
  end)

  it("takes exactly one source and one target", function()
    local job = import_job()
    job.sources = {}
    job.targets = { job.targets[1], job.targets[1] }
    assert.same({
      "body.IntegrationJobInput.sources Array should have exactly 1 item, not 0",
      "body.IntegrationJobInput.targets Array should have exactly 1 item, not 2",
    }, problems("IntegrationJobInput", job))
  end)

  it("sends a column mapping for a BigQuery export", function()
    local job = {
      type = "AnaplanToGoogleBigQuery", sources = { anaplan_source }, targets = { table_part },
      mapping = { { source_name = "Region", target_name = "region" } },
    }
    assert.truthy(core.encode("IntegrationJobInput", job):find(
      ',"mapping":[{"sourceName":"Region","targetName":"region"}]}', 1, true))
  end)

  it("rejects a column mapping for other job types", function()
    local job = import_job()
    job.mapping = { { source_name = "Region", target_name = "region" } }
    assert.same({
      "body.IntegrationJobInput.mapping Field not allowed for job type 'AmazonS3ToAnaplan'; only 'AnaplanToGoogleBigQuery' jobs take a mapping",
    }, problems("IntegrationJobInput", job))
  end)

  it("requires both names in a column mapping", function()
    local job = {
      type = "AnaplanToGoogleBigQuery", sources = { anaplan_source }, targets = { table_part },
      mapping = { { source_name = "Region" } },
    }
    assert.same({ "body.IntegrationJobInput.mapping.1.targetName Field required" },
      problems("IntegrationJobInput", job))
  end)
end)

describe("IntegrationInput", function()
  it("sends jobs, defaults and an upper-case model id", function()
    assert.equal('{"name":"Daily sales","version":"2.0","workspaceId":"' .. WORKSPACE .. '","modelId":"'
      .. MODEL:upper() .. '","nuxVisible":false,"jobs":[{"type":"AmazonS3ToAnaplan","sources":[{"type":"AmazonS3",'
      .. '"connectionId":"' .. CONNECTION .. '","file":"in/sales.csv"}],"targets":[{"type":"Anaplan",'
      .. '"actionId":"112000000001","fileId":"113000000001"}]}]}',
      core.encode("IntegrationInput", integration({ import_job() })))
  end)

  it("sends a process id with jobs as a string", function()
    local input = integration({ import_job() })
    input.process_id = 118000000001
    input.nux_visible = true
    local out = core.validate("IntegrationInput", input)
    assert.equal("118000000001", out.processId)
    assert.is_true(out.nuxVisible)
  end)

  it("requires at least one job", function()
    assert.same({ "body.IntegrationInput.jobs Array should have at least 1 item, not 0" },
      problems("IntegrationInput", integration({})))
  end)

  it("rejects any version but 2.0", function()
    local input = integration({ import_job() })
    input.version = "1.0"
    assert.same({ "body.IntegrationInput.version Input should be '2.0', not '1.0'" }, problems("IntegrationInput", input))
  end)

  it("locates a problem deep in a job", function()
    local job = import_job()
    job.targets[1].file_id = -3
    assert.same({
      "body.IntegrationInput.jobs.1.targets.1.AnaplanTarget.fileId Input should be a numeric id: a non-negative integer or a string of 1 to 20 digits, not -3",
    }, problems("IntegrationInput", integration({ job })))
  end)
end)

describe("IntegrationProcessInput", function()
  it("sends a process-only integration", function()
    assert.equal('{"name":"Close","version":"2.0","workspaceId":"' .. WORKSPACE .. '","modelId":"' .. MODEL:upper()
      .. '","nuxVisible":false,"processId":"118000000001"}', core.encode("IntegrationProcessInput", {
        name = "Close", workspace_id = WORKSPACE, model_id = MODEL, process_id = "118000000001",
      }))
  end)

  it("requires a process id", function()
    assert.same({ "body.IntegrationProcessInput.processId Field required" },
      problems("IntegrationProcessInput", { name = "Close", workspace_id = WORKSPACE, model_id = MODEL }))
  end)

  it("accepts an empty jobs array and sends none", function()
    local out = core.validate("IntegrationProcessInput", {
      name = "Close", workspace_id = WORKSPACE, model_id = MODEL, process_id = 1, jobs = {},
    })
    assert.is_nil(out.jobs)
  end)

  it("rejects jobs", function()
    assert.same({ "body.IntegrationProcessInput.jobs Array should be empty, not have 1 item" },
      problems("IntegrationProcessInput", {
        name = "Close", workspace_id = WORKSPACE, model_id = MODEL, process_id = 1, jobs = { import_job() },
      }))
  end)
end)

describe("IntegrationCreate", function()
  it("chooses an import or export integration when jobs are given", function()
    assert.equal(core.encode("IntegrationInput", integration({ import_job() })),
      core.encode("IntegrationCreate", integration({ import_job() })))
  end)

  it("chooses a process-only integration when jobs is empty", function()
    local input = integration({})
    input.process_id = 118000000001
    assert.equal('{"name":"Daily sales","version":"2.0","workspaceId":"' .. WORKSPACE .. '","modelId":"'
      .. MODEL:upper() .. '","nuxVisible":false,"processId":"118000000001"}', core.encode("IntegrationCreate", input))
  end)

  it("chooses a process-only integration when jobs is absent", function()
    local input = integration(nil)
    input.process_id = 118000000001
    assert.is_nil(core.validate("IntegrationCreate", input).jobs)
  end)

  it("asks for a process id when jobs is empty", function()
    assert.same({ "body.IntegrationProcessInput.processId Field required" },
      problems("IntegrationCreate", integration({})))
  end)

  it("reports jobs that are not an array under IntegrationInput", function()
    assert.same({ "body.IntegrationInput.jobs Input should be an array" },
      problems("IntegrationCreate", integration("all")))
  end)

  it("names the chosen model in locations", function()
    local input = integration({ import_job() })
    input.name = nil
    assert.same({ "body.IntegrationInput.name Field required" }, problems("IntegrationCreate", input))
  end)
end)
