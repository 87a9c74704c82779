-- Connections end to end: what the SDK sends for each call, and what it returns.
local sdk = require("helpers.sdk")

describe("connections", function()
  local emulator, cw

  sdk.client_for_each_test(function(shared_emulator, new_client)
    emulator, cw = shared_emulator, new_client.cw
  end)

  describe("create_connection", function()
    it("sends an AzureBlob table with auth_method in snake_case", function()
      local id = cw:create_connection(sdk.azure_input("blob-plain"))

      local request = sdk.last_request(emulator)
      assert.are.equal("POST", request.method)
      assert.are.equal("/integrations/connections", request.route)
      assert.are.equal("", request.query)
      assert.are.same({
        type = "AzureBlob",
        body = {
          name = "blob-plain",
          storageAccountName = "salesstorage",
          containerName = "planning",
          sasToken = "***",
          auth_method = "SAS-based",
        },
      }, sdk.body_of(request))
      assert.truthy(request.body:find('"auth_method":"SAS-based"', 1, true))
      assert.falsy(request.body:find('"authMethod"', 1, true))
      sdk.assert_id(id, "connection id")
    end)

    it("sends JSON with the token in the AnaplanAuthToken scheme", function()
      cw:create_connection(sdk.azure_input("blob-headers"))

      local headers = sdk.last_request(emulator).headers
      assert.are.equal("application/json", headers["content-type"])
      -- The emulator masks the token itself in its log.
      assert.are.equal("AnaplanAuthToken ***", headers.authorization)
    end)

    it("sends the same body when built with the constructors", function()
      local models = sdk.models()
      local input = models.ConnectionInput {
        type = "AzureBlob",
        body = models.AzureBlobConnectionInput {
          name = "blob-built",
          storage_account_name = "salesstorage",
          container_name = "planning",
          sas_token = sdk.SAS_TOKEN,
        },
      }

      local id = cw:create_connection(input)

      assert.are.same({
        type = "AzureBlob",
        body = {
          name = "blob-built",
          storageAccountName = "salesstorage",
          containerName = "planning",
          sasToken = "***",
          auth_method = "SAS-based",
        },
      }, sdk.body_of(sdk.last_request(emulator)))
      sdk.assert_id(id, "connection id")
    end)

    it("sends an AmazonS3 connection with a workspace id", function()
      local input = sdk.s3_input("s3-with-workspace")
      input.body.workspaceId = sdk.WORKSPACE_ID
      input.body.roleArn = "arn:aws:iam::123456789012:role/planning-loader"

      local id = cw:create_connection(input)

      local request = sdk.last_request(emulator)
      assert.are.equal("POST", request.method)
      assert.are.equal("/integrations/connections", request.route)
      assert.are.equal("", request.query)
      assert.are.same({
        type = "AmazonS3",
        body = {
          name = "s3-with-workspace",
          accessKeyId = "AKIAEXAMPLEKEY000001",
          secretAccessKey = "***",
          bucketName = "sales-bucket",
          roleArn = "arn:aws:iam::123456789012:role/planning-loader",
          workspaceId = sdk.WORKSPACE_ID,
        },
      }, sdk.body_of(request))
      sdk.assert_id(id, "connection id")
    end)

    it("sends a GoogleBigQuery connection with its whole key", function()
      local id = cw:create_connection(sdk.bigquery_input("bigquery"))

      local request = sdk.last_request(emulator)
      assert.are.equal("POST", request.method)
      assert.are.equal("/integrations/connections", request.route)
      assert.are.equal("", request.query)
      -- The emulator masks the whole key object in its log.
      assert.are.same({
        type = "GoogleBigQuery",
        body = { name = "bigquery", dataset = "planning_dataset", serviceAccountKey = "***" },
      }, sdk.body_of(request))
      sdk.assert_id(id, "connection id")
    end)

    it("builds a GoogleBigQuery body with the key object unchanged", function()
      local models = sdk.models()
      local key = sdk.service_account_key()

      local body = models.GoogleBigQueryConnectionInput {
        name = "bigquery-built",
        dataset = "planning_dataset",
        service_account_key = key,
      }

      assert.are.same({ name = "bigquery-built", dataset = "planning_dataset", serviceAccountKey = key }, body)
    end)
  end)

  describe("list_connections", function()
    it("returns every connection as an array, without secrets", function()
      local blob_id = sdk.make_connection(cw, "blob-one")
      local s3_id = cw:create_connection(sdk.s3_input("s3-one"))

      local list = cw:list_connections()

      local request = sdk.last_request(emulator)
      assert.are.equal("GET", request.method)
      assert.are.equal("/integrations/connections", request.route)
      assert.are.same({ limit = "5000", offset = "0" }, sdk.query_of(request))
      assert.are.equal("", request.body)

      assert.are.equal(2, #list)
      assert.are.equal(blob_id, list[1].connectionId)
      assert.are.equal("AzureBlob", list[1].connectionType)
      assert.are.equal("blob-one", list[1].body.name)
      assert.are.equal("SAS-based", list[1].authMethod)
      assert.is_nil(list[1].body.sasToken)
      assert.are.equal(s3_id, list[2].connectionId)
      assert.are.equal("AmazonS3", list[2].connectionType)
      assert.is_nil(list[2].body.secretAccessKey)
      for _, connection in ipairs(list) do
        assert.are.equal("integer", math.type(connection.status))
      end
    end)

    it("returns an empty table when there are none", function()
      local list = cw:list_connections()

      assert.are.same({}, list)
      assert.are.equal(1, #sdk.cloudworks_requests(emulator))
    end)
  end)

  describe("update_connection", function()
    it("sends a full wrapped body as it is", function()
      local id = sdk.make_connection(cw, "blob-before")
      local input = sdk.azure_input("blob-after")

      local result = cw:update_connection(id, input)

      local request = sdk.last_request(emulator)
      assert.are.equal("PUT", request.method)
      assert.are.equal("/integrations/connections/" .. id, request.route)
      assert.are.equal("", request.query)
      assert.are.same({
        type = "AzureBlob",
        body = {
          name = "blob-after",
          storageAccountName = "salesstorage",
          containerName = "planning",
          sasToken = "***",
          auth_method = "SAS-based",
        },
      }, sdk.body_of(request))
      assert.is_nil(result)
      assert.are.equal("blob-after", cw:list_connections()[1].body.name)
    end)

    it("wraps a bare AzureBlob body with the type its fields imply", function()
      local id = sdk.make_connection(cw, "blob-bare")
      local bare = sdk.azure_input("blob-bare-renamed").body

      cw:update_connection(id, bare)

      local request = sdk.last_request(emulator)
      assert.are.equal("PUT", request.method)
      assert.are.same({
        type = "AzureBlob",
        body = {
          name = "blob-bare-renamed",
          storageAccountName = "salesstorage",
          containerName = "planning",
          sasToken = "***",
          auth_method = "SAS-based",
        },
      }, sdk.body_of(request))
    end)

    it("wraps a bare AmazonS3 body as AmazonS3", function()
      local id = cw:create_connection(sdk.s3_input("s3-bare"))
      local bare = sdk.s3_input("s3-bare-renamed").body

      cw:update_connection(id, bare)

      local sent = sdk.body_of(sdk.last_request(emulator))
      assert.are.equal("AmazonS3", sent.type)
      assert.are.same({
        name = "s3-bare-renamed",
        accessKeyId = "AKIAEXAMPLEKEY000001",
        secretAccessKey = "***",
        bucketName = "sales-bucket",
      }, sent.body)
    end)
  end)

  describe("patch_connection", function()
    it("wraps the fields to change in a body member", function()
      local id = sdk.make_connection(cw, "blob-to-patch")

      local result = cw:patch_connection(id, { name = "blob-patched", containerName = "archive" })

      local request = sdk.last_request(emulator)
      assert.are.equal("PATCH", request.method)
      assert.are.equal("/integrations/connections/" .. id, request.route)
      assert.are.equal("", request.query)
      assert.are.same({ body = { name = "blob-patched", containerName = "archive" } }, sdk.body_of(request))
      assert.is_nil(result)
      local stored = cw:list_connections()[1]
      assert.are.equal("blob-patched", stored.body.name)
      assert.are.equal("archive", stored.body.containerName)
    end)

    it("sends an already wrapped patch without wrapping it twice", function()
      local id = sdk.make_connection(cw, "blob-wrapped-patch")

      cw:patch_connection(id, { body = { name = "blob-wrapped-renamed" } })

      assert.are.same({ body = { name = "blob-wrapped-renamed" } }, sdk.body_of(sdk.last_request(emulator)))
    end)
  end)

  describe("delete_connection", function()
    it("sends DELETE without a body and removes the connection", function()
      local id = sdk.make_connection(cw, "blob-to-delete")

      local result = cw:delete_connection(id)

      local request = sdk.last_request(emulator)
      assert.are.equal("DELETE", request.method)
      assert.are.equal("/integrations/connections/" .. id, request.route)
      assert.are.equal("", request.query)
      assert.are.equal("", request.body)
      assert.is_nil(result)
      assert.are.same({}, cw:list_connections())
    end)

    it("sends an upper-case id in lower case", function()
      local id = sdk.make_connection(cw, "blob-upper")

      cw:delete_connection(id:upper())

      assert.are.equal("/integrations/connections/" .. id, sdk.last_request(emulator).route)
    end)
  end)
end)
