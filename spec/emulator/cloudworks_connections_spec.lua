local fixture = require("emulator.cloudworks_fixture")

local SECRETS = { "s3-secret-value", "azure-secret-value", "bigquery-secret-value", "oauth-secret-value" }

describe("CloudWorks connections", function()
  local env

  before_each(function()
    env = fixture.new()
  end)

  describe("create", function()
    it("returns the new id wrapped in connections.connectionId", function()
      local status, response = env:call("POST", "/integrations/connections", fixture.s3_body())
      assert.are.equal(200, status)
      assert.are.same({ code = 200, message = "Success" }, response.status)
      assert.matches(fixture.ID_PATTERN, response.connections.connectionId)
    end)

    it("accepts each connection type", function()
      for _, request in ipairs({ fixture.s3_body("a"), fixture.azure_body("b"), fixture.bigquery_body("c") }) do
        local status = env:call("POST", "/integrations/connections", request)
        assert.are.equal(200, status)
      end
    end)

    it("rejects an unknown connection type", function()
      local request = fixture.s3_body()
      request.type = "Dropbox"
      local status, response = env:call("POST", "/integrations/connections", request)
      assert.are.equal(400, status)
      assert.are.same({ code = 400, message = "Invalid request body" }, response.status)
      assert.matches("body.type: must be one of", fixture.details(response), 1, true)
    end)

    it("rejects a body without a required field", function()
      local request = fixture.s3_body()
      request.body.bucketName = nil
      local status, response = env:call("POST", "/integrations/connections", request)
      assert.are.equal(400, status)
      assert.matches("body.body.bucketName: is required", fixture.details(response), 1, true)
    end)

    it("rejects a field of the wrong type", function()
      local request = fixture.s3_body()
      request.body.accessKeyId = 42
      local status, response = env:call("POST", "/integrations/connections", request)
      assert.are.equal(400, status)
      assert.matches("body.body.accessKeyId: must be a string", fixture.details(response), 1, true)
    end)

    it("rejects an AzureBlob body without auth_method", function()
      local request = fixture.azure_body()
      request.body.auth_method = nil
      local status, response = env:call("POST", "/integrations/connections", request)
      assert.are.equal(400, status)
      assert.matches("body.body.auth_method: is required", fixture.details(response), 1, true)
    end)

    it("rejects authMethod spelled the response's way", function()
      local request = fixture.azure_body()
      request.body.auth_method = nil
      request.body.authMethod = "SAS-based"
      local status = env:call("POST", "/integrations/connections", request)
      assert.are.equal(400, status)
    end)

    it("requires a sasToken for SAS-based AzureBlob", function()
      local request = fixture.azure_body()
      request.body.sasToken = nil
      local status, response = env:call("POST", "/integrations/connections", request)
      assert.are.equal(400, status)
      assert.matches("body.body.sasToken: is required", fixture.details(response), 1, true)
    end)

    it("requires client credentials for OAuth AzureBlob", function()
      local request = fixture.azure_body()
      request.body.sasToken = nil
      request.body.auth_method = "Oauth2"
      local status, response = env:call("POST", "/integrations/connections", request)
      assert.are.equal(400, status)
      local details = fixture.details(response)
      assert.matches("body.body.clientId: is required", details, 1, true)
      assert.matches("body.body.clientSecret: is required", details, 1, true)
      assert.matches("body.body.tenantId: is required", details, 1, true)
    end)

    it("rejects a malformed workspaceId", function()
      local request = fixture.s3_body()
      request.body.workspaceId = "not-a-workspace"
      local status, response = env:call("POST", "/integrations/connections", request)
      assert.are.equal(400, status)
      assert.matches("body.body.workspaceId: must be 32 lowercase hexadecimal characters", fixture.details(response), 1, true)
    end)

    it("rejects an empty serviceAccountKey", function()
      local request = fixture.bigquery_body()
      request.body.serviceAccountKey = {}
      local status, response = env:call("POST", "/integrations/connections", request)
      assert.are.equal(400, status)
      assert.matches("body.body.serviceAccountKey: must not be empty", fixture.details(response), 1, true)
    end)

    it("rejects a body that is not JSON", function()
      local status, response = env:call("POST", "/integrations/connections", "{not json")
      assert.are.equal(400, status)
      assert.matches("body: is not valid JSON", fixture.details(response), 1, true)
    end)

    it("rejects a duplicate name with 400", function()
      env:create_connection(fixture.s3_body("shared name"))
      local status, response = env:call("POST", "/integrations/connections", fixture.azure_body("shared name"))
      assert.are.equal(400, status)
      assert.are.equal("Duplicate resource name not allowed", response.status.message)
    end)

    it("never repeats a secret in an error", function()
      local request = fixture.azure_body()
      request.body.storageAccountName = nil
      local _, _, _, text = env:call("POST", "/integrations/connections", request)
      assert.is_nil(text:find("azure-secret-value", 1, true))
    end)
  end)

  describe("list", function()
    it("returns connections with the live fields", function()
      local id = env:create_connection(fixture.s3_body("s3 one"))
      local status, response = env:call("GET", "/integrations/connections")
      assert.are.equal(200, status)
      local connection = response.connections[1]
      assert.are.equal(id, connection.connectionId)
      assert.are.equal("AmazonS3", connection.connectionType)
      assert.are.same({ name = "s3 one", accessKeyId = "AKIDEXAMPLE", bucketName = "samplebucket" }, connection.body)
      assert.matches(fixture.ISO_PATTERN, connection.creationDate)
      assert.matches(fixture.ISO_PATTERN, connection.modificationDate)
      assert.are.equal("Dev User", connection.createdBy)
      assert.are.equal(1, connection.status)
    end)

    it("writes null for integrationErrorCode, workspaceId and authMethod", function()
      env:create_connection(fixture.s3_body())
      local _, _, _, text = env:call("GET", "/integrations/connections")
      assert.matches('"integrationErrorCode":null', text, 1, true)
      assert.matches('"workspaceId":null', text, 1, true)
      assert.matches('"authMethod":null', text, 1, true)
    end)

    it("spells the AzureBlob method authMethod", function()
      env:create_connection(fixture.azure_body())
      local _, response = env:call("GET", "/integrations/connections")
      local connection = response.connections[1]
      assert.are.equal("SAS-based", connection.authMethod)
      assert.are.equal("SAS-based", connection.body.authMethod)
      assert.is_nil(connection.body.auth_method)
    end)

    it("never returns a secret", function()
      env:create_connection(fixture.s3_body("a"))
      env:create_connection(fixture.azure_body("b"))
      env:create_connection(fixture.bigquery_body("c"))
      local oauth = fixture.azure_body("d")
      oauth.body.sasToken = nil
      oauth.body.auth_method = "Oauth2"
      oauth.body.clientId = "client"
      oauth.body.clientSecret = "oauth-secret-value"
      oauth.body.tenantId = "tenant"
      env:create_connection(oauth)

      local _, response, _, text = env:call("GET", "/integrations/connections")
      assert.are.equal(4, #response.connections)
      for _, secret in ipairs(SECRETS) do
        assert.is_nil(text:find(secret, 1, true), secret)
      end
      for _, key in ipairs({ "sasToken", "secretAccessKey", "serviceAccountKey", "clientSecret" }) do
        assert.is_nil(text:find(key, 1, true), key)
      end
    end)

    it("pages with limit and offset", function()
      for index = 1, 5 do
        env:create_connection(fixture.s3_body("connection " .. index))
      end
      local status, response = env:call("GET", "/integrations/connections", nil, { query = { limit = "2", offset = "3" } })
      assert.are.equal(200, status)
      assert.are.same({ currentPageSize = 2, totalSize = 5, offset = 3 }, response.meta.paging)
      assert.are.equal("connection 4", response.connections[1].body.name)
      assert.are.equal("connection 5", response.connections[2].body.name)
    end)

    it("cuts pages to page_cap whatever the limit", function()
      env = fixture.new({ page_cap = 3 })
      for index = 1, 5 do
        env:create_connection(fixture.s3_body("connection " .. index))
      end
      local _, response = env:call("GET", "/integrations/connections", nil, { query = { limit = "100" } })
      assert.are.equal(3, #response.connections)
      assert.are.same({ currentPageSize = 3, totalSize = 5, offset = 0 }, response.meta.paging)
    end)

    it("returns an empty array past the last page", function()
      env:create_connection()
      local _, response, _, text = env:call("GET", "/integrations/connections", nil, { query = { offset = "5" } })
      assert.matches('"connections":[]', text, 1, true)
      assert.are.equal(0, response.meta.paging.currentPageSize)
    end)

    it("rejects a limit that is not a positive integer", function()
      for _, limit in ipairs({ "0", "-1", "ten", "1.5" }) do
        local status, response = env:call("GET", "/integrations/connections", nil, { query = { limit = limit } })
        assert.are.equal(400, status, limit)
        assert.matches("limit: ", fixture.details(response), 1, true)
      end
    end)
  end)

  describe("PUT", function()
    it("replaces the whole body", function()
      local id = env:create_connection(fixture.s3_body("old name"))
      local request = fixture.s3_body("new name")
      request.body.bucketName = "otherbucket"
      local status, response = env:call("PUT", "/integrations/connections/" .. id, request)
      assert.are.equal(200, status)
      assert.are.same({ code = 200, message = "Success" }, response.status)
      local _, list = env:call("GET", "/integrations/connections")
      assert.are.equal("new name", list.connections[1].body.name)
      assert.are.equal("otherbucket", list.connections[1].body.bucketName)
    end)

    it("rejects a body without its credentials", function()
      local id = env:create_connection(fixture.s3_body())
      local request = fixture.s3_body()
      request.body.secretAccessKey = nil
      local status, response = env:call("PUT", "/integrations/connections/" .. id, request)
      assert.are.equal(400, status)
      assert.matches("body.body.secretAccessKey: is required", fixture.details(response), 1, true)
    end)

    it("rejects a bare body without the type wrapper", function()
      local id = env:create_connection(fixture.s3_body())
      local status = env:call("PUT", "/integrations/connections/" .. id, fixture.s3_body().body)
      assert.are.equal(400, status)
    end)

    it("rejects a change of type", function()
      local id = env:create_connection(fixture.s3_body())
      local status, response = env:call("PUT", "/integrations/connections/" .. id, fixture.azure_body())
      assert.are.equal(400, status)
      assert.matches("body.type: must match", fixture.details(response), 1, true)
    end)

    it("responds with 404 for an unknown id", function()
      local status, response = env:call("PUT", "/integrations/connections/" .. string.rep("f", 32), fixture.s3_body())
      assert.are.equal(404, status)
      assert.are.equal(404, response.status.code)
    end)
  end)

  describe("PATCH", function()
    it("changes only the fields given", function()
      local id = env:create_connection(fixture.s3_body("before"))
      local status = env:call("PATCH", "/integrations/connections/" .. id, { body = { name = "after" } })
      assert.are.equal(200, status)
      local _, list = env:call("GET", "/integrations/connections")
      assert.are.equal("after", list.connections[1].body.name)
      assert.are.equal("samplebucket", list.connections[1].body.bucketName)
    end)

    it("updates modifiedBy and modificationDate", function()
      local id = env:create_connection(fixture.s3_body())
      env:advance(60)
      env:call("PATCH", "/integrations/connections/" .. id, { body = { bucketName = "b2" } }, { user = fixture.OTHER_USER })
      local _, list = env:call("GET", "/integrations/connections")
      local connection = list.connections[1]
      assert.are.equal("Ana Lyst", connection.modifiedBy)
      assert.are.equal("Dev User", connection.createdBy)
      assert.are_not.equal(connection.creationDate, connection.modificationDate)
    end)

    it("rejects a field the connection type does not have", function()
      local id = env:create_connection(fixture.s3_body())
      local status, response = env:call("PATCH", "/integrations/connections/" .. id, { body = { containerName = "x" } })
      assert.are.equal(400, status)
      assert.matches("body.body.containerName: is not a field of a AmazonS3 connection", fixture.details(response), 1, true)
    end)

    it("rejects a request without the body wrapper", function()
      local id = env:create_connection(fixture.s3_body())
      local status, response = env:call("PATCH", "/integrations/connections/" .. id, { name = "bare" })
      assert.are.equal(400, status)
      assert.matches("body.body: is required", fixture.details(response), 1, true)
    end)

    it("rejects a name another connection has", function()
      env:create_connection(fixture.s3_body("first"))
      local id = env:create_connection(fixture.s3_body("second"))
      local status, response = env:call("PATCH", "/integrations/connections/" .. id, { body = { name = "first" } })
      assert.are.equal(400, status)
      assert.are.equal("Duplicate resource name not allowed", response.status.message)
    end)

    it("responds with 404 for an unknown id", function()
      local status = env:call("PATCH", "/integrations/connections/" .. string.rep("f", 32), { body = { name = "x" } })
      assert.are.equal(404, status)
    end)
  end)

  describe("DELETE", function()
    it("removes the connection", function()
      local id = env:create_connection()
      local status = env:call("DELETE", "/integrations/connections/" .. id)
      assert.are.equal(200, status)
      local _, list = env:call("GET", "/integrations/connections")
      assert.are.equal(0, #list.connections)
    end)

    it("responds with 404 the second time", function()
      local id = env:create_connection()
      env:call("DELETE", "/integrations/connections/" .. id)
      local status, response = env:call("DELETE", "/integrations/connections/" .. id)
      assert.are.equal(404, status)
      assert.are.equal("Connection not found", response.status.message)
    end)

    it("responds with 404 for a malformed id", function()
      local status = env:call("DELETE", "/integrations/connections/ABC")
      assert.are.equal(404, status)
    end)

    it("responds with 409 while an integration uses it", function()
      env:import_integration()
      local status, response = env:call("DELETE", "/integrations/connections/" .. env.connection_id)
      assert.are.equal(409, status)
      assert.are.equal(409, response.status.code)
    end)
  end)
end)
