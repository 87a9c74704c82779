-- Connection models: the three bodies, the {type, body} wrapper used by
-- create and PUT, and the {body} wrapper of PATCH.
local core = require("anaplan.core")
local schema = require("helpers.schema")

local WORKSPACE = "8a868cda860a533a0186334e91805794"
local SAS = "sv=2024-05-04&sig=TOPSECRETSIGNATURE"
local AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/TOPSECRETKEY"
local PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nTOPSECRETPEM\n-----END PRIVATE KEY-----\n"

local failure, problems = schema.failure, schema.problems

-- Asserts that no message, location or tostring of err contains secret.
local function assert_hidden(err, secret)
  assert.is_nil(err.message:find(secret, 1, true))
  assert.is_nil(tostring(err):find(secret, 1, true))
  for _, problem in ipairs(err.errors) do
    assert.is_nil(problem.loc:find(secret, 1, true))
    assert.is_nil(problem.msg:find(secret, 1, true))
  end
end

local function azure()
  return { name = "landing", storage_account_name = "acme", container_name = "exports", sas_token = SAS }
end

local function s3()
  return { name = "bucket", access_key_id = "AKIAEXAMPLE", secret_access_key = AWS_SECRET, bucket_name = "acme-in" }
end

local function key_file()
  return {
    type = "service_account",
    project_id = "acme-analytics",
    private_key_id = "abc123",
    private_key = PRIVATE_KEY,
    client_email = "loader@acme-analytics.iam.gserviceaccount.com",
  }
end

local function big_query()
  return { name = "warehouse", dataset = "sales", service_account_key = key_file() }
end

describe("AzureBlobConnectionInput", function()
  it("sends auth_method in snake_case with its default", function()
    assert.equal('{"name":"landing","storageAccountName":"acme","containerName":"exports","sasToken":"'
      .. SAS .. '","auth_method":"SAS-based"}', core.encode("AzureBlobConnectionInput", azure()))
  end)

  it("sends a workspace id in lower case", function()
    local body = azure()
    body.workspace_id = WORKSPACE:upper()
    assert.equal(WORKSPACE, core.validate("AzureBlobConnectionInput", body).workspaceId)
  end)

  it("accepts auth_method SAS-based when given", function()
    local body = azure()
    body.auth_method = "SAS-based"
    assert.equal("SAS-based", core.validate("AzureBlobConnectionInput", body).auth_method)
  end)

  it("rejects any other auth_method", function()
    local body = azure()
    body.auth_method = "OAuth"
    assert.same({ "body.AzureBlobConnectionInput.auth_method Input should be 'SAS-based'" },
      problems("AzureBlobConnectionInput", body))
  end)

  it("does not echo a credential typed into another field", function()
    local body = azure()
    body.auth_method = "sv=2026&sig=typed-in-the-wrong-field"
    local err = failure("AzureBlobConnectionInput", body)
    assert.is_nil(err.message:find("typed-in-the-wrong-field", 1, true))
    assert.same({ "body.AzureBlobConnectionInput.auth_method Input should be 'SAS-based'" },
      problems("AzureBlobConnectionInput", body))
  end)

  it("rejects the camelCase authMethod of the responses", function()
    local body = azure()
    body.authMethod = "SAS-based"
    assert.same({ "body.AzureBlobConnectionInput.authMethod Unknown field; did you mean 'auth_method'?" },
      problems("AzureBlobConnectionInput", body))
  end)

  it("requires every credential field", function()
    assert.same({
      "body.AzureBlobConnectionInput.name Field required",
      "body.AzureBlobConnectionInput.storageAccountName Field required",
      "body.AzureBlobConnectionInput.containerName Field required",
      "body.AzureBlobConnectionInput.sasToken Field required",
    }, problems("AzureBlobConnectionInput", {}))
  end)

  it("never shows the SAS token", function()
    local body = azure()
    body.sas_token = { SAS }
    local err = failure("AzureBlobConnectionInput", body)
    assert.same({ "body.AzureBlobConnectionInput.sasToken Input should be a string" },
      { err.errors[1].loc .. " " .. err.errors[1].msg })
    assert_hidden(err, SAS)
  end)
end)

describe("AmazonS3ConnectionInput", function()
  it("sends the fields in API order", function()
    local body = s3()
    body.role_arn = "arn:aws:iam::123456789012:role/reader"
    body.workspace_id = WORKSPACE
    assert.equal('{"name":"bucket","accessKeyId":"AKIAEXAMPLE","secretAccessKey":"' .. AWS_SECRET
      .. '","bucketName":"acme-in","roleArn":"arn:aws:iam::123456789012:role/reader","workspaceId":"'
      .. WORKSPACE .. '"}', core.encode("AmazonS3ConnectionInput", body))
  end)

  it("leaves out an optional field that is not given", function()
    assert.equal('{"name":"bucket","accessKeyId":"AKIAEXAMPLE","secretAccessKey":"' .. AWS_SECRET
      .. '","bucketName":"acme-in"}', core.encode("AmazonS3ConnectionInput", s3()))
  end)

  it("never shows the secret access key", function()
    local body = s3()
    body.secretAccessKey = AWS_SECRET
    local err = failure("AmazonS3ConnectionInput", body)
    assert.same("body.AmazonS3ConnectionInput.secretAccessKey Field given twice, as 'secret_access_key' and 'secretAccessKey'",
      err.message)
    assert_hidden(err, AWS_SECRET)
  end)
end)

describe("GoogleBigQueryConnectionInput", function()
  it("sends the service-account key as given, keys in byte order", function()
    assert.equal('{"name":"warehouse","dataset":"sales","serviceAccountKey":{'
      .. '"client_email":"loader@acme-analytics.iam.gserviceaccount.com","private_key":"'
      .. PRIVATE_KEY:gsub("\n", "\\n") .. '","private_key_id":"abc123","project_id":"acme-analytics",'
      .. '"type":"service_account"}}', core.encode("GoogleBigQueryConnectionInput", big_query()))
  end)

  it("requires a service-account key that is not empty", function()
    local body = big_query()
    body.service_account_key = {}
    assert.same({ "body.GoogleBigQueryConnectionInput.serviceAccountKey Object should not be empty" },
      problems("GoogleBigQueryConnectionInput", body))
  end)

  it("requires string values in the key and hides them", function()
    local body = big_query()
    body.service_account_key.private_key = { PRIVATE_KEY }
    local err = failure("GoogleBigQueryConnectionInput", body)
    assert.equal("body.GoogleBigQueryConnectionInput.serviceAccountKey Input should be an object whose values are all UTF-8 strings",
      err.message)
    assert_hidden(err, "TOPSECRETPEM")
  end)

  it("rejects a key that is not a table without showing it", function()
    local body = big_query()
    body.service_account_key = PRIVATE_KEY
    local err = failure("GoogleBigQueryConnectionInput", body)
    assert.equal("body.GoogleBigQueryConnectionInput.serviceAccountKey Input should be an object of string values",
      err.message)
    assert_hidden(err, "TOPSECRETPEM")
  end)

  it("rejects keys that are not strings", function()
    local body = big_query()
    body.service_account_key[1] = "stray"
    assert.same({ "body.GoogleBigQueryConnectionInput.serviceAccountKey Input should be an object whose keys are all UTF-8 strings" },
      problems("GoogleBigQueryConnectionInput", body))
  end)
end)

describe("ConnectionInput", function()
  it("wraps the body with its type", function()
    assert.equal('{"type":"AmazonS3","body":{"name":"bucket","accessKeyId":"AKIAEXAMPLE","secretAccessKey":"'
      .. AWS_SECRET .. '","bucketName":"acme-in"}}', core.encode("ConnectionInput", { type = "AmazonS3", body = s3() }))
  end)

  it("locates body problems under the body model's name", function()
    local body = azure()
    body.storage_account_name = nil
    assert.same({ "body.AzureBlobConnectionInput.storageAccountName Field required" },
      problems("ConnectionInput", { type = "AzureBlob", body = body }))
  end)

  it("reports a misspelt field twice: missing and unknown", function()
    local body = azure()
    body.storage_account_name = nil
    body.storageAccount = "acme"
    assert.same({
      "body.AzureBlobConnectionInput.storageAccountName Field required",
      "body.AzureBlobConnectionInput.storageAccount Unknown field; did you mean 'storageAccountName'?",
    }, problems("ConnectionInput", { type = "AzureBlob", body = body }))
  end)

  it("locates type problems at type", function()
    assert.same({ "type Field required" }, problems("ConnectionInput", { body = azure() }))
  end)

  it("checks the body against the model its type names", function()
    assert.same({
      "body.AmazonS3ConnectionInput.accessKeyId Field required",
      "body.AmazonS3ConnectionInput.secretAccessKey Field required",
      "body.AmazonS3ConnectionInput.bucketName Field required",
      "body.AmazonS3ConnectionInput.container_name Unknown field; expected one of 'name', 'accessKeyId', "
        .. "'secretAccessKey', 'bucketName', 'roleArn', 'workspaceId'",
      "body.AmazonS3ConnectionInput.sas_token Unknown field; expected one of 'name', 'accessKeyId', "
        .. "'secretAccessKey', 'bucketName', 'roleArn', 'workspaceId'",
      "body.AmazonS3ConnectionInput.storage_account_name Unknown field; expected one of 'name', 'accessKeyId', "
        .. "'secretAccessKey', 'bucketName', 'roleArn', 'workspaceId'",
    }, problems("ConnectionInput", { type = "AmazonS3", body = azure() }))
  end)

  it("requires a body", function()
    assert.same({ "body Field required" }, problems("ConnectionInput", { type = "AzureBlob" }))
  end)

  it("names the request itself when it is not a table", function()
    assert.same({ "body Input should be an object" }, problems("ConnectionInput", "AzureBlob"))
  end)
end)

describe("ConnectionUpdate", function()
  it("sends a {type, body} input as it is", function()
    assert.equal(core.encode("ConnectionInput", { type = "AzureBlob", body = azure() }),
      core.encode("ConnectionUpdate", { type = "AzureBlob", body = azure() }))
  end)

  it("wraps a bare Azure body", function()
    assert.same(core.validate("ConnectionInput", { type = "AzureBlob", body = azure() }),
      core.validate("ConnectionUpdate", azure()))
  end)

  it("wraps a bare Amazon S3 body", function()
    assert.equal('{"type":"AmazonS3","body":{"name":"bucket","accessKeyId":"AKIAEXAMPLE","secretAccessKey":"'
      .. AWS_SECRET .. '","bucketName":"acme-in"}}', core.encode("ConnectionUpdate", s3()))
  end)

  it("wraps a bare BigQuery body", function()
    assert.equal("GoogleBigQuery", core.validate("ConnectionUpdate", big_query()).type)
  end)

  it("recognises the type from one telling field", function()
    local out = core.validate("ConnectionUpdate", { name = "n", dataset = "d", service_account_key = key_file() })
    assert.equal("GoogleBigQuery", out.type)
    local err = failure("ConnectionUpdate", { name = "n", bucket_name = "b" })
    assert.same({
      "body.AmazonS3ConnectionInput.accessKeyId Field required",
      "body.AmazonS3ConnectionInput.secretAccessKey Field required",
    }, { err.errors[1].loc .. " " .. err.errors[1].msg, err.errors[2].loc .. " " .. err.errors[2].msg })
  end)

  it("asks for type when the fields tell nothing", function()
    assert.same({
      "type Field required: the body's fields do not show the connection type, so give type = "
        .. "'AzureBlob', 'AmazonS3' or 'GoogleBigQuery' and the fields as body",
    }, problems("ConnectionUpdate", { name = "renamed" }))
  end)

  it("asks for type when the fields belong to two types", function()
    local body = azure()
    body.bucket_name = "acme-in"
    local err = failure("ConnectionUpdate", body)
    assert.same({
      "type Field required: the body has fields of both 'AzureBlob' and 'AmazonS3' connections, so give "
        .. "type = 'AzureBlob', 'AmazonS3' or 'GoogleBigQuery' and the fields as body",
    }, { err.message })
    assert_hidden(err, SAS)
  end)

  it("requires the complete body", function()
    local body = azure()
    body.sas_token = nil
    assert.same({ "body.AzureBlobConnectionInput.sasToken Field required" }, problems("ConnectionUpdate", body))
  end)
end)

describe("ConnectionPatch", function()
  it("wraps a bare partial body", function()
    assert.equal('{"body":{"name":"renamed"}}', core.encode("ConnectionPatch", { name = "renamed" }))
  end)

  it("accepts a body wrapper", function()
    assert.equal('{"body":{"sasToken":"' .. SAS .. '"}}', core.encode("ConnectionPatch", { body = { sas_token = SAS } }))
  end)

  it("fills in no default", function()
    assert.same({ body = { containerName = "new" } }, core.validate("ConnectionPatch", { container_name = "new" }))
  end)

  it("accepts the fields of any one connection type", function()
    assert.same({ body = { name = "n", roleArn = "arn:aws:iam::1:role/r" } },
      core.validate("ConnectionPatch", { name = "n", role_arn = "arn:aws:iam::1:role/r" }))
    assert.same({ body = { dataset = "d2" } }, core.validate("ConnectionPatch", { dataset = "d2" }))
  end)

  it("requires at least one field", function()
    assert.same({ "body Object should have at least one field to change" }, problems("ConnectionPatch", {}))
    assert.same({ "body Object should have at least one field to change" }, problems("ConnectionPatch", { body = {} }))
  end)

  it("rejects fields of two connection types", function()
    assert.same({
      "body Fields of the 'AzureBlob' and 'AmazonS3' connection types are mixed; give the fields of one type only",
    }, problems("ConnectionPatch", { sas_token = SAS, bucket_name = "b" }))
  end)

  it("checks the type of each field", function()
    assert.same({ "body.workspaceId Input should be an id of 32 hexadecimal characters" },
      problems("ConnectionPatch", { workspace_id = "ws" }))
  end)

  it("suggests the nearest connection field for a misspelt key", function()
    assert.same({ "body.bucket Unknown field; did you mean 'bucketName'?" }, problems("ConnectionPatch", { bucket = "b" }))
  end)

  it("rejects a type beside the body", function()
    assert.same({ "type Unknown field; expected one of 'body'" },
      problems("ConnectionPatch", { type = "AzureBlob", body = { name = "n" } }))
  end)
end)
