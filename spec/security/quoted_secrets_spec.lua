-- A server that quotes the request body back in its error must not carry a
-- short credential into the SDK's error either: it is masked like a long one.
local anaplan = require("anaplan")
local emulator_module = require("anaplan.emulator")

local SHORT_SAS_TOKEN = "q7z"
local MASKED_BODY = '{"type":"AzureBlob","body":{"name":"short","storageAccountName":"acct",'
  .. '"containerName":"c","sasToken":"***","auth_method":"SAS-based"}}'

describe("quoted short secrets", function()
  local emulator, client

  setup(function()
    emulator = emulator_module.start { port = 0 }
  end)

  teardown(function()
    emulator:stop()
  end)

  before_each(function()
    emulator:reset()
    client = anaplan.Client {
      user_email = "dev@example.com", password = "dev",
      auth_url = emulator.auth_url, cloudworks_url = emulator.cloudworks_url,
    }
  end)

  after_each(function()
    client:close()
  end)

  it("masks a short secret in server text", function()
    emulator:fault {
      method = "POST", path = "/2/0/integrations/connections", kind = "status", status = 500, echo_body = true,
    }
    local ok, err = pcall(client.cw.create_connection, client.cw, {
      type = "AzureBlob",
      body = { name = "short", storageAccountName = "acct", containerName = "c", sasToken = SHORT_SAS_TOKEN },
    })

    assert.is_false(ok)
    assert.are.equal("http", err.kind)
    assert.are.equal(500, err.status)
    assert.are.equal("Internal Server Error: " .. MASKED_BODY, err.api_message)
    assert.are.equal("create_connection (POST /integrations/connections) failed: HTTP 500 Internal Server Error: "
      .. MASKED_BODY, err.message)
    assert.is_nil(tostring(err):find(SHORT_SAS_TOKEN, 1, true))
  end)

  it("keeps server text without the secret", function()
    emulator:fault {
      method = "POST", path = "/2/0/integrations/connections", kind = "status", status = 500,
    }
    local ok, err = pcall(client.cw.create_connection, client.cw, {
      type = "AzureBlob",
      body = { name = "short", storageAccountName = "acct", containerName = "c", sasToken = SHORT_SAS_TOKEN },
    })

    assert.is_false(ok)
    assert.are.equal("Internal Server Error", err.api_message)
  end)
end)
