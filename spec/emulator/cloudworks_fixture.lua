-- Shared set-up for the cloudworks_*_spec.lua files: a CloudWorks state on a
-- fake clock, a request helper that round-trips bodies through JSON the way
-- the server does, and builders for the records most specs need.
local json = require("anaplan.emulator.json")
local cloudworks = require("anaplan.emulator.cloudworks")

local fixture = {}

fixture.USER = { id = string.rep("a", 32), email = "dev@example.com", name = "Dev User" }
fixture.OTHER_USER = { id = string.rep("b", 32), email = "ana.lyst@example.com", name = "Ana Lyst" }
fixture.WORKSPACE_ID = "8a80db657068f0ef01718955f3b3390b"
fixture.MODEL_ID = "E559BFF3B1CD4AAE874F745BEA259711"
fixture.START = 1781832600.0
fixture.RUN_DURATION = 10

fixture.ID_PATTERN = "^" .. string.rep("[0-9a-f]", 32) .. "$"
fixture.ISO_PATTERN = "^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ$"

local Env = {}
Env.__index = Env

-- Returns a fresh environment: env.state on a clock that only env:advance()
-- moves. options: page_cap, run_duration, random_hex, tenant_max_allowed.
function fixture.new(options)
  options = options or {}
  local env = setmetatable({ now = fixture.START }, Env)
  env.state = cloudworks.new({
    clock = function()
      return env.now
    end,
    page_cap = options.page_cap or 1000,
    run_duration = options.run_duration or fixture.RUN_DURATION,
    random_hex = options.random_hex,
    tenant_max_allowed = options.tenant_max_allowed,
  })
  return env
end

function Env:advance(seconds)
  self.now = self.now + seconds
end

-- Sends one request. `body` is encoded and decoded again, so the state gets
-- what the server would pass it. A string body is sent as raw text. Returns
-- status, the decoded response (or the raw string response), headers and the
-- response's JSON text.
function Env:call(method, path, body, options)
  options = options or {}
  local raw, decoded, json_error = "", nil, nil
  if type(body) == "string" then
    raw = body
    decoded, json_error = json.decode(body)
  elseif body ~= nil then
    raw = json.encode(body)
    decoded = json.decode(raw)
  end
  local status, response, headers = self.state:handle({
    method = method,
    path = path,
    query = options.query or {},
    body = decoded,
    raw_body = raw,
    json_error = json_error,
    user = options.user or fixture.USER,
  })
  if type(response) ~= "table" then
    return status, response, headers, nil
  end
  local text = json.encode(response)
  return status, json.decode(text), headers, text
end

-- Returns the problems listed in an error response, joined for matching.
function fixture.details(response)
  return table.concat(response.details or {}, "\n")
end

function fixture.s3_body(name)
  return {
    type = "AmazonS3",
    body = { name = name or "s3 source", accessKeyId = "AKIDEXAMPLE", secretAccessKey = "s3-secret-value", bucketName = "samplebucket" },
  }
end

function fixture.azure_body(name)
  return {
    type = "AzureBlob",
    body = {
      name = name or "azure source",
      storageAccountName = "sampleaccount",
      containerName = "samplecontainer",
      sasToken = "sv=2024&sig=azure-secret-value",
      auth_method = "SAS-based",
    },
  }
end

function fixture.bigquery_body(name)
  return {
    type = "GoogleBigQuery",
    body = {
      name = name or "bigquery source",
      dataset = "sales",
      serviceAccountKey = { type = "service_account", project_id = "p", private_key = "bigquery-secret-value" },
    },
  }
end

-- Creates a connection and returns its id; raises when the state refuses.
function Env:create_connection(request)
  local status, response = self:call("POST", "/integrations/connections", request or fixture.s3_body())
  assert(status == 200, "creating a connection returned " .. tostring(status) .. ": " .. fixture.details(response or {}))
  return response.connections.connectionId
end

function fixture.import_job(connection_id, action_id)
  return {
    type = "AmazonS3ToAnaplan",
    sources = { { type = "AmazonS3", connectionId = connection_id, file = "in/sales.csv" } },
    targets = { { type = "Anaplan", actionId = action_id or "112000000011", fileId = "113000000011" } },
  }
end

function fixture.export_job(connection_id)
  return {
    type = "AnaplanToAmazonS3",
    sources = { { type = "Anaplan", actionId = "116000000003" } },
    targets = { { type = "AmazonS3", connectionId = connection_id, file = "out/sales.csv" } },
  }
end

function fixture.integration_body(name, jobs, process_id)
  return {
    name = name,
    version = "2.0",
    workspaceId = fixture.WORKSPACE_ID,
    modelId = fixture.MODEL_ID,
    processId = process_id,
    jobs = jobs,
  }
end

function Env:create_integration(body, user)
  local status, response = self:call("POST", "/integrations", body, { user = user })
  assert(status == 200, "creating an integration returned " .. tostring(status) .. ": " .. fixture.details(response or {}))
  return response.integration.integrationId
end

-- Creates an S3 connection (once per environment) and an import integration
-- reading from it; returns the integration id.
function Env:import_integration(name, user)
  self.connection_id = self.connection_id or self:create_connection()
  return self:create_integration(fixture.integration_body(name or "sales import", { fixture.import_job(self.connection_id) }), user)
end

function Env:export_integration(name)
  self.connection_id = self.connection_id or self:create_connection()
  return self:create_integration(fixture.integration_body(name or "sales export", { fixture.export_job(self.connection_id) }))
end

-- A process integration with two import jobs, actions 112000000021 and
-- 112000000022.
function Env:process_integration(name)
  self.connection_id = self.connection_id or self:create_connection()
  return self:create_integration(fixture.integration_body(name or "nightly process", {
    fixture.import_job(self.connection_id, "112000000021"),
    fixture.import_job(self.connection_id, "112000000022"),
  }, "118000000012"))
end

-- Starts a run and returns its id.
function Env:run(integration_id)
  local status, response = self:call("POST", "/integrations/" .. integration_id .. "/run")
  assert(status == 200, "running the integration returned " .. tostring(status))
  return response.run.id
end

function Env:run_status(run_id)
  local status, response = self:call("GET", "/integrations/run/" .. run_id)
  assert(status == 200, "run status returned " .. tostring(status))
  return response.run
end

-- Returns a random_hex that yields 32-character ids counting up from 1, so
-- that specs can predict them.
function fixture.counting_hex()
  local count = 0
  return function(length)
    count = count + 1
    return string.format("%0" .. length .. "x", count)
  end
end

return fixture
