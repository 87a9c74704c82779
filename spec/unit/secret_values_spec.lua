-- core.secret_values: the strings of secret fields that the dispatcher
-- masks when a server quotes a request back in an error.
local core = require("anaplan.core")

local ID = "0123456789abcdef0123456789abcdef"

describe("secret_values", function()
  it("returns the SAS token of an Azure connection", function()
    local values = core.secret_values("ConnectionInput", {
      type = "AzureBlob",
      body = { name = "n", storageAccountName = "account", containerName = "c", sasToken = "sv=1&sig=abc" },
    })
    assert.are.same({ "sv=1&sig=abc" }, values)
  end)

  it("returns the secret access key of an S3 connection", function()
    local values = core.secret_values("ConnectionUpdate", {
      name = "n", accessKeyId = "AKIAEXAMPLE", secretAccessKey = "s3-secret", bucketName = "b",
    })
    assert.are.same({ "s3-secret" }, values)
  end)

  it("returns every string of a service-account key", function()
    local values = core.secret_values("ConnectionPatch", {
      serviceAccountKey = { private_key = "pk-text", client_email = "robot@example.com" },
    })
    table.sort(values)
    assert.are.same({ "pk-text", "robot@example.com" }, values)
  end)

  it("returns nothing for a body without secrets", function()
    local values = core.secret_values("IntegrationCreate", {
      name = "n", workspaceId = ID, modelId = ID, processId = 118000000001,
    })
    assert.are.same({}, values)
  end)

  it("validates the body like encode does", function()
    local ok, err = pcall(core.secret_values, "ConnectionInput", { type = "AzureBlob", body = {} })
    assert.is_false(ok)
    assert.are.equal("validation", err.kind)
  end)
end)
