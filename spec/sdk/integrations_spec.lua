-- Integrations end to end: create (import/export, process, process-only),
-- list, get, update, delete, run and cancel.
local sdk = require("helpers.sdk")

-- The import job as the SDK sends it: ids as strings.
local function sent_import_job(connection_id)
  return {
    type = "AzureBlobToAnaplan",
    sources = { { type = "AzureBlob", connectionId = connection_id, file = "in/sales.csv" } },
    targets = { { type = "Anaplan", actionId = "112000000001", fileId = "113000000001" } },
  }
end

-- The export job as the SDK sends it: a file target overwrites by default.
local function sent_export_job(connection_id)
  return {
    type = "AnaplanToAzureBlob",
    sources = { { type = "Anaplan", actionId = "116000000001" } },
    targets = { { type = "AzureBlob", connectionId = connection_id, file = "out/report.csv", overwrite = true } },
  }
end

describe("integrations", function()
  local emulator, cw, connection_id

  sdk.client_for_each_test(function(shared_emulator, new_client)
    emulator, cw = shared_emulator, new_client.cw
  end)

  before_each(function()
    connection_id = sdk.make_connection(cw, "integration-source")
  end)

  describe("create_integration", function()
    it("sends string ids and an upper-case model id", function()
      local id = cw:create_integration(sdk.import_integration_input(connection_id, "import-plain"))

      local request = sdk.last_request(emulator)
      assert.are.equal("POST", request.method)
      assert.are.equal("/integrations", request.route)
      assert.are.equal("", request.query)
      assert.are.same({
        name = "import-plain",
        version = "2.0",
        workspaceId = sdk.WORKSPACE_ID,
        modelId = sdk.MODEL_ID_SENT,
        nuxVisible = false,
        jobs = { sent_import_job(connection_id) },
      }, sdk.body_of(request))
      assert.truthy(request.body:find('"jobs":[', 1, true))
      assert.truthy(request.body:find('"actionId":"112000000001"', 1, true))
      assert.truthy(request.body:find('"fileId":"113000000001"', 1, true))
      assert.truthy(request.body:find('"modelId":"' .. sdk.MODEL_ID_SENT .. '"', 1, true))
      sdk.assert_id(id, "integration id")
    end)

    it("sends the same body when built with the constructors", function()
      local models = sdk.models()
      local input = models.IntegrationInput {
        name = "import-built",
        workspace_id = sdk.WORKSPACE_ID,
        model_id = sdk.MODEL_ID,
        jobs = {
          models.IntegrationJobInput {
            type = "AzureBlobToAnaplan",
            sources = { models.FileSource { type = "AzureBlob", connection_id = connection_id, file = "in/sales.csv" } },
            targets = { models.AnaplanTarget { action_id = sdk.IMPORT_ACTION_ID, file_id = sdk.FILE_ID } },
          },
        },
      }

      local id = cw:create_integration(input)

      assert.are.same({
        name = "import-built",
        version = "2.0",
        workspaceId = sdk.WORKSPACE_ID,
        modelId = sdk.MODEL_ID_SENT,
        nuxVisible = false,
        jobs = { sent_import_job(connection_id) },
      }, sdk.body_of(sdk.last_request(emulator)))
      sdk.assert_id(id, "integration id")
    end)

    it("sends a process integration with its process id and jobs", function()
      local id = cw:create_integration(sdk.process_integration_input(connection_id, "process-with-jobs"))

      local request = sdk.last_request(emulator)
      assert.are.same({
        name = "process-with-jobs",
        version = "2.0",
        workspaceId = sdk.WORKSPACE_ID,
        modelId = sdk.MODEL_ID_SENT,
        processId = "118000000001",
        nuxVisible = false,
        jobs = { sent_import_job(connection_id), sent_export_job(connection_id) },
      }, sdk.body_of(request))
      assert.truthy(request.body:find('"processId":"118000000001"', 1, true))
      sdk.assert_id(id, "integration id")
    end)

    it("sends empty jobs as process-only", function()
      local id = cw:create_integration {
        name = "process-only",
        version = "2.0",
        workspaceId = sdk.WORKSPACE_ID,
        modelId = sdk.MODEL_ID,
        processId = sdk.PROCESS_ID,
        jobs = {},
      }

      local request = sdk.last_request(emulator)
      assert.are.equal("POST", request.method)
      assert.are.equal("/integrations", request.route)
      assert.are.equal("", request.query)
      assert.are.same({
        name = "process-only",
        version = "2.0",
        workspaceId = sdk.WORKSPACE_ID,
        modelId = sdk.MODEL_ID_SENT,
        processId = "118000000001",
        nuxVisible = false,
      }, sdk.body_of(request))
      assert.falsy(request.body:find('"jobs"', 1, true))
      sdk.assert_id(id, "integration id")
    end)

    it("sends IntegrationProcessInput as process-only", function()
      local models = sdk.models()

      cw:create_integration(models.IntegrationProcessInput {
        name = "process-only-built",
        workspace_id = sdk.WORKSPACE_ID,
        model_id = sdk.MODEL_ID,
        process_id = sdk.PROCESS_ID,
      })

      assert.are.same({
        name = "process-only-built",
        version = "2.0",
        workspaceId = sdk.WORKSPACE_ID,
        modelId = sdk.MODEL_ID_SENT,
        processId = "118000000001",
        nuxVisible = false,
      }, sdk.body_of(sdk.last_request(emulator)))
    end)

    it("rejects empty jobs without a process", function()
      local input = sdk.import_integration_input(connection_id, "no-jobs")
      input.jobs = {}

      sdk.rejected_before_sending(emulator, cw.create_integration, cw, input)
    end)
  end)

  describe("list_integrations", function()
    local function make_three()
      for _, name in ipairs({ "beta", "alpha", "gamma" }) do
        sdk.make_import_integration(cw, connection_id, name)
      end
    end

    local function names_of(list)
      local names = {}
      for _, integration in ipairs(list) do
        names[#names + 1] = integration.name
      end
      return names
    end

    it("asks for every page with no sort by default", function()
      make_three()

      local list = cw:list_integrations()

      local request = sdk.last_request(emulator)
      assert.are.equal("GET", request.method)
      assert.are.equal("/integrations", request.route)
      assert.are.same({ limit = "5000", offset = "0" }, sdk.query_of(request))
      assert.are.equal("", request.body)
      assert.are.equal(3, #list)
      for _, integration in ipairs(list) do
        sdk.assert_id(integration.integrationId, "integrationId")
        assert.are.equal(sdk.MODEL_ID_SENT, integration.modelId)
      end
    end)

    it("sends sortBy=-name for a descending sort by name", function()
      make_three()

      local list = cw:list_integrations { sort_by = "name", descending = true }

      local request = sdk.last_request(emulator)
      assert.are.same({ limit = "5000", offset = "0", sortBy = "-name" }, sdk.query_of(request))
      assert.are.same({ "gamma", "beta", "alpha" }, names_of(list))
    end)

    it("sends sortBy=name for an ascending sort", function()
      make_three()

      local list = cw:list_integrations { sort_by = "name" }

      assert.are.same({ limit = "5000", offset = "0", sortBy = "name" }, sdk.query_of(sdk.last_request(emulator)))
      assert.are.same({ "alpha", "beta", "gamma" }, names_of(list))
    end)

    it("sends myIntegrations=1 for the current user's integrations only", function()
      make_three()

      local list = cw:list_integrations { current_user_only = true }

      assert.are.same({ limit = "5000", offset = "0", myIntegrations = "1" }, sdk.query_of(sdk.last_request(emulator)))
      assert.are.equal(3, #list)
    end)

    it("sends myIntegrations=0 when asked for everyone's", function()
      cw:list_integrations { current_user_only = false, sort_by = "name" }

      assert.are.same({ limit = "5000", offset = "0", myIntegrations = "0", sortBy = "name" },
        sdk.query_of(sdk.last_request(emulator)))
    end)

    it("rejects a sort field other than name before sending", function()
      sdk.rejected_before_sending(emulator, cw.list_integrations, cw, { sort_by = "creationDate" })
    end)

    it("rejects descending without sort_by before sending", function()
      sdk.rejected_before_sending(emulator, cw.list_integrations, cw, { descending = true })
    end)

    it("rejects an unknown option before sending", function()
      local err = sdk.rejected_before_sending(emulator, cw.list_integrations, cw, { sortBy = "name" })

      assert.truthy(err.message:find("sortBy", 1, true))
    end)
  end)

  describe("get_integration", function()
    it("returns the integration with its jobs", function()
      local id = sdk.make_import_integration(cw, connection_id, "to-read")

      local integration = cw:get_integration(id)

      local request = sdk.last_request(emulator)
      assert.are.equal("GET", request.method)
      assert.are.equal("/integrations/" .. id, request.route)
      assert.are.equal("", request.query)
      assert.are.equal("", request.body)
      assert.are.equal(id, integration.integrationId)
      assert.are.equal("to-read", integration.name)
      assert.are.equal(sdk.MODEL_ID_SENT, integration.modelId)
      assert.are.equal(1, #integration.jobs)
      assert.are.equal("AzureBlobToAnaplan", integration.jobs[1].type)
      assert.are.equal(connection_id, integration.jobs[1].sources[1].connectionId)
      assert.are.equal("112000000001", integration.jobs[1].targets[1].actionId)
      sdk.assert_id(integration.notificationId, "notificationId")
    end)
  end)

  describe("update_integration", function()
    it("sends the whole integration with PUT", function()
      local id = sdk.make_import_integration(cw, connection_id, "before-update")
      local input = sdk.process_integration_input(connection_id, "after-update")

      local result = cw:update_integration(id, input)

      local request = sdk.last_request(emulator)
      assert.are.equal("PUT", request.method)
      assert.are.equal("/integrations/" .. id, request.route)
      assert.are.equal("", request.query)
      assert.are.same({
        name = "after-update",
        version = "2.0",
        workspaceId = sdk.WORKSPACE_ID,
        modelId = sdk.MODEL_ID_SENT,
        processId = "118000000001",
        nuxVisible = false,
        jobs = { sent_import_job(connection_id), sent_export_job(connection_id) },
      }, sdk.body_of(request))
      assert.is_nil(result)
      local stored = cw:get_integration(id)
      assert.are.equal("after-update", stored.name)
      assert.are.equal(2, #stored.jobs)
    end)
  end)

  describe("delete_integration", function()
    it("sends DELETE and the integration is gone", function()
      local id = sdk.make_import_integration(cw, connection_id, "to-delete")

      local result = cw:delete_integration(id)

      local request = sdk.last_request(emulator)
      assert.are.equal("DELETE", request.method)
      assert.are.equal("/integrations/" .. id, request.route)
      assert.are.equal("", request.query)
      assert.are.equal("", request.body)
      assert.is_nil(result)
      local err = sdk.error_of("http", cw.get_integration, cw, id)
      assert.are.equal(404, err.status)
    end)
  end)

  describe("run_integration", function()
    it("sends POST without a body and returns the run id", function()
      local id = sdk.make_import_integration(cw, connection_id, "to-run")

      local run_id = cw:run_integration(id)

      local request = sdk.last_request(emulator)
      assert.are.equal("POST", request.method)
      assert.are.equal("/integrations/" .. id .. "/run", request.route)
      assert.are.equal("", request.query)
      assert.are.equal("", request.body)
      sdk.assert_id(run_id, "run id")
      assert.are.equal(id, cw:get_run_status(run_id).integrationId)
    end)
  end)

  describe("cancel_integration", function()
    it("sends POST without a body and the run ends cancelled", function()
      emulator:configure { run_duration = 30 }
      local id = sdk.make_import_integration(cw, connection_id, "to-cancel")
      local run_id = cw:run_integration(id)

      local result = cw:cancel_integration(id)

      local request = sdk.last_request(emulator)
      assert.are.equal("POST", request.method)
      assert.are.equal("/integrations/" .. id .. "/cancel", request.route)
      assert.are.equal("", request.query)
      assert.are.equal("", request.body)
      assert.is_nil(result)
      local status = cw:get_run_status(run_id)
      assert.is_string(status.endDate)
      assert.is_false(status.success)
    end)
  end)
end)
