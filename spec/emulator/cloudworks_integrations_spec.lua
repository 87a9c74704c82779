local fixture = require("emulator.cloudworks_fixture")

describe("CloudWorks integrations", function()
  local env

  before_each(function()
    env = fixture.new()
    env.connection_id = env:create_connection()
  end)

  describe("create", function()
    it("returns the new id wrapped in integration.integrationId", function()
      local status, response = env:call("POST", "/integrations", fixture.integration_body("imp", { fixture.import_job(env.connection_id) }))
      assert.are.equal(200, status)
      assert.are.same({ code = 200, message = "Success" }, response.status)
      assert.matches(fixture.ID_PATTERN, response.integration.integrationId)
    end)

    it("creates a process integration with jobs", function()
      local id = env:process_integration()
      local _, response = env:call("GET", "/integrations/" .. id)
      assert.are.equal("Process", response.integration.integrationType)
      assert.are.equal("118000000012", response.integration.processId)
      assert.are.equal(2, #response.integration.jobs)
    end)

    it("creates a process-only integration without jobs", function()
      local id = env:create_integration(fixture.integration_body("process only", nil, "118000000012"))
      local _, response, _, text = env:call("GET", "/integrations/" .. id)
      assert.are.equal("Process", response.integration.integrationType)
      assert.matches('"jobs":[]', text, 1, true)
    end)

    it("rejects an import integration without jobs", function()
      local status, response = env:call("POST", "/integrations", fixture.integration_body("no jobs", nil))
      assert.are.equal(400, status)
      assert.matches("body.jobs: is required", fixture.details(response), 1, true)
    end)

    it("rejects an empty jobs array without processId", function()
      local status, response = env:call("POST", "/integrations", fixture.integration_body("empty jobs", {}))
      assert.are.equal(400, status)
      assert.matches("body.jobs: must have at least 1 item", fixture.details(response), 1, true)
    end)

    it("rejects a version other than 2.0", function()
      local body = fixture.integration_body("v1", { fixture.import_job(env.connection_id) })
      body.version = "1.0"
      local status, response = env:call("POST", "/integrations", body)
      assert.are.equal(400, status)
      assert.matches("body.version: must be one of 2.0", fixture.details(response), 1, true)
    end)

    it("rejects a lowercase modelId", function()
      local body = fixture.integration_body("lower", { fixture.import_job(env.connection_id) })
      body.modelId = body.modelId:lower()
      local status, response = env:call("POST", "/integrations", body)
      assert.are.equal(400, status)
      assert.matches("body.modelId: must be 32 uppercase hexadecimal characters", fixture.details(response), 1, true)
    end)

    it("rejects a numeric processId", function()
      local body = fixture.integration_body("numeric", nil)
      body.processId = 118000000012
      local status, response = env:call("POST", "/integrations", body)
      assert.are.equal(400, status)
      assert.matches("body.processId: must be a string", fixture.details(response), 1, true)
    end)

    it("rejects a job whose connection is unknown", function()
      local body = fixture.integration_body("ghost", { fixture.import_job(string.rep("f", 32)) })
      local status, response = env:call("POST", "/integrations", body)
      assert.are.equal(400, status)
      assert.matches("body.jobs[0].sources[0].connectionId: no connection has this id", fixture.details(response), 1, true)
    end)

    it("rejects a job whose connection has another type", function()
      local azure_id = env:create_connection(fixture.azure_body())
      local body = fixture.integration_body("mismatch", { fixture.import_job(azure_id) })
      local status, response = env:call("POST", "/integrations", body)
      assert.are.equal(400, status)
      assert.matches("is a AzureBlob connection, the job needs AmazonS3", fixture.details(response), 1, true)
    end)

    it("rejects a source kind the job type does not take", function()
      local job = fixture.import_job(env.connection_id)
      job.sources[1].type = "GoogleBigQuery"
      local status, response = env:call("POST", "/integrations", fixture.integration_body("kind", { job }))
      assert.are.equal(400, status)
      assert.matches("body.jobs[0].sources[0].type: must be one of AmazonS3", fixture.details(response), 1, true)
    end)

    it("rejects an unknown job type", function()
      local job = fixture.import_job(env.connection_id)
      job.type = "DropboxToAnaplan"
      local status, response = env:call("POST", "/integrations", fixture.integration_body("type", { job }))
      assert.are.equal(400, status)
      assert.matches("body.jobs[0].type: must be one of", fixture.details(response), 1, true)
    end)

    it("rejects an Anaplan target without fileId", function()
      local job = fixture.import_job(env.connection_id)
      job.targets[1].fileId = nil
      local status, response = env:call("POST", "/integrations", fixture.integration_body("file", { job }))
      assert.are.equal(400, status)
      assert.matches("body.jobs[0].targets[0].fileId: is required", fixture.details(response), 1, true)
    end)

    it("rejects a mapping entry without targetName", function()
      local job = fixture.import_job(env.connection_id)
      job.mapping = { { sourceName = "Region", targetName = "Region" }, { sourceName = "Amount" } }
      local status, response = env:call("POST", "/integrations", fixture.integration_body("mapped", { job }))
      assert.are.equal(400, status)
      assert.are.same({ "body.jobs[0].mapping[1].targetName: is required" }, response.details)
    end)

    it("lists every problem in one response", function()
      local status, response = env:call("POST", "/integrations", { version = "2.0" })
      assert.are.equal(400, status)
      assert.are.equal(4, #response.details)
    end)

    it("creates the notification configuration with it", function()
      local id = env:import_integration()
      local _, response = env:call("GET", "/integrations/" .. id)
      assert.matches(fixture.ID_PATTERN, response.integration.notificationId)
      local status = env:call("GET", "/integrations/notification/" .. response.integration.notificationId)
      assert.are.equal(200, status)
    end)

    it("responds with 409 once the tenant quota is used up", function()
      env = fixture.new({ tenant_max_allowed = 1 })
      env:import_integration("first")
      local status, response = env:call("POST", "/integrations", fixture.integration_body("second", { fixture.import_job(env.connection_id) }))
      assert.are.equal(409, status)
      assert.are.equal(409, response.status.code)
    end)
  end)

  describe("get", function()
    it("returns the integration with its jobs and connection details", function()
      local id = env:import_integration("sales import")
      local status, response = env:call("GET", "/integrations/" .. id)
      assert.are.equal(200, status)
      local integration = response.integration
      assert.are.equal(id, integration.integrationId)
      assert.are.equal("sales import", integration.name)
      assert.are.equal("Import", integration.integrationType)
      assert.are.equal("2.0", integration.version)
      assert.are.equal(fixture.WORKSPACE_ID, integration.workspaceId)
      assert.are.equal(fixture.MODEL_ID, integration.modelId)
      assert.is_false(integration.nuxVisible)
      local source = integration.jobs[1].sources[1]
      assert.are.equal(env.connection_id, source.connectionId)
      assert.are.equal("s3 source", source.connectionName)
      assert.are.equal("samplebucket", source.bucketName)
      assert.is_false(source.isConnectionDeleted)
      assert.are.same({ type = "Anaplan", actionId = "112000000011", fileId = "113000000011" }, integration.jobs[1].targets[1])
    end)

    it("defaults overwrite to true on a file target", function()
      local id = env:export_integration()
      local _, response = env:call("GET", "/integrations/" .. id)
      assert.are.equal("Export", response.integration.integrationType)
      assert.is_true(response.integration.jobs[1].targets[1].overwrite)
    end)

    it("defaults overwrite to false on a table target", function()
      local bigquery_id = env:create_connection(fixture.bigquery_body())
      local id = env:create_integration(fixture.integration_body("to table", {
        {
          type = "AnaplanToGoogleBigQuery",
          sources = { { type = "Anaplan", actionId = "116000000003" } },
          targets = { { type = "GoogleBigQuery", connectionId = bigquery_id, table = "sales" } },
        },
      }))
      local _, response = env:call("GET", "/integrations/" .. id)
      assert.is_false(response.integration.jobs[1].targets[1].overwrite)
      assert.are.equal("sales", response.integration.jobs[1].targets[1].bucketName)
    end)

    it("has no latestRun before the first run", function()
      local id = env:import_integration()
      local _, response = env:call("GET", "/integrations/" .. id)
      assert.is_nil(response.integration.latestRun)
    end)

    it("responds with 404 for an unknown id", function()
      local status, response = env:call("GET", "/integrations/" .. string.rep("f", 32))
      assert.are.equal(404, status)
      assert.are.same({ code = 404, message = "Integration not found" }, response.status)
    end)
  end)

  describe("list", function()
    it("returns summaries without jobs and with tenant counts", function()
      local id = env:import_integration("one")
      local status, response = env:call("GET", "/integrations")
      assert.are.equal(200, status)
      assert.are.equal(id, response.integrations[1].integrationId)
      assert.is_nil(response.integrations[1].jobs)
      assert.are.same({ currentPageSize = 1, totalSize = 1, offset = 0 }, response.meta.paging)
      assert.are.equal(1, response.meta.tenantCurrentCount)
      assert.are.equal(1000, response.meta.tenantMaxAllowed)
    end)

    it("returns 25 items when no limit is given", function()
      for index = 1, 30 do
        env:import_integration("integration " .. index)
      end
      local _, response = env:call("GET", "/integrations")
      assert.are.equal(25, #response.integrations)
      assert.are.equal(30, response.meta.paging.totalSize)
    end)

    it("cuts pages to page_cap whatever the limit", function()
      env = fixture.new({ page_cap = 2 })
      for index = 1, 3 do
        env:import_integration("integration " .. index)
      end
      local _, response = env:call("GET", "/integrations", nil, { query = { limit = "50", offset = "0" } })
      assert.are.equal(2, #response.integrations)
      assert.are.same({ currentPageSize = 2, totalSize = 3, offset = 0 }, response.meta.paging)
    end)

    it("sorts by name ascending and descending", function()
      for _, name in ipairs({ "beta", "Alpha", "gamma" }) do
        env:import_integration(name)
      end
      local _, ascending = env:call("GET", "/integrations", nil, { query = { sortBy = "name" } })
      local _, descending = env:call("GET", "/integrations", nil, { query = { sortBy = "-name" } })
      local function names(response)
        local out = {}
        for index, item in ipairs(response.integrations) do
          out[index] = item.name
        end
        return out
      end
      assert.are.same({ "Alpha", "beta", "gamma" }, names(ascending))
      assert.are.same({ "gamma", "beta", "Alpha" }, names(descending))
    end)

    it("rejects an unknown sortBy", function()
      local status, response = env:call("GET", "/integrations", nil, { query = { sortBy = "createdDate" } })
      assert.are.equal(400, status)
      assert.matches("sortBy: must be name or -name", fixture.details(response), 1, true)
    end)

    it("keeps only the caller's integrations with myIntegrations=1", function()
      local mine = env:import_integration("mine")
      env:import_integration("theirs", fixture.OTHER_USER)
      local _, all = env:call("GET", "/integrations", nil, { query = { myIntegrations = "0" } })
      local _, own = env:call("GET", "/integrations", nil, { query = { myIntegrations = "1" } })
      assert.are.equal(2, #all.integrations)
      assert.are.equal(1, #own.integrations)
      assert.are.equal(mine, own.integrations[1].integrationId)
    end)

    it("rejects myIntegrations other than 0 or 1", function()
      local status = env:call("GET", "/integrations", nil, { query = { myIntegrations = "yes" } })
      assert.are.equal(400, status)
    end)

    it("counts flows in tenantCurrentCount", function()
      local first = env:import_integration("first")
      local second = env:import_integration("second")
      local status = env:call("POST", "/integrationflows", {
        name = "flow", version = "2.0", type = "IntegrationFlow",
        steps = {
          { type = "Integration", referrer = first, dependsOn = {}, isSkipped = false, exceptionBehavior = {} },
          { type = "Integration", referrer = second, dependsOn = { first }, isSkipped = false, exceptionBehavior = {} },
        },
      })
      assert.are.equal(200, status)
      local _, response = env:call("GET", "/integrations")
      assert.are.equal(3, response.meta.tenantCurrentCount)
    end)
  end)

  describe("PUT", function()
    it("replaces the editable fields and keeps the id", function()
      local id = env:import_integration("before")
      local body = fixture.integration_body("after", { fixture.export_job(env.connection_id) })
      body.nuxVisible = true
      local status = env:call("PUT", "/integrations/" .. id, body)
      assert.are.equal(200, status)
      local _, response = env:call("GET", "/integrations/" .. id)
      assert.are.equal("after", response.integration.name)
      assert.are.equal("Export", response.integration.integrationType)
      assert.is_true(response.integration.nuxVisible)
    end)

    it("keeps the notification configuration", function()
      local id = env:import_integration()
      local _, before = env:call("GET", "/integrations/" .. id)
      env:call("PUT", "/integrations/" .. id, fixture.integration_body("renamed", { fixture.import_job(env.connection_id) }))
      local _, after = env:call("GET", "/integrations/" .. id)
      assert.are.equal(before.integration.notificationId, after.integration.notificationId)
    end)

    it("rejects an invalid body", function()
      local id = env:import_integration()
      local status, response = env:call("PUT", "/integrations/" .. id, { name = "half" })
      assert.are.equal(400, status)
      assert.matches("body.version: is required", fixture.details(response), 1, true)
    end)

    it("responds with 404 for an unknown id", function()
      local status = env:call("PUT", "/integrations/" .. string.rep("f", 32), fixture.integration_body("x", { fixture.import_job(env.connection_id) }))
      assert.are.equal(404, status)
    end)
  end)

  describe("DELETE", function()
    it("removes the integration and its notification configuration", function()
      local id = env:import_integration()
      local _, before = env:call("GET", "/integrations/" .. id)
      local status = env:call("DELETE", "/integrations/" .. id)
      assert.are.equal(200, status)
      assert.are.equal(404, (env:call("GET", "/integrations/" .. id)))
      assert.are.equal(404, (env:call("GET", "/integrations/notification/" .. before.integration.notificationId)))
    end)

    it("frees the connection it used", function()
      local id = env:import_integration()
      env:call("DELETE", "/integrations/" .. id)
      local status = env:call("DELETE", "/integrations/connections/" .. env.connection_id)
      assert.are.equal(200, status)
    end)

    it("responds with 409 while a run is in flight", function()
      local id = env:import_integration()
      env:run(id)
      local status, response = env:call("DELETE", "/integrations/" .. id)
      assert.are.equal(409, status)
      assert.are.equal("Integration is running", response.status.message)
    end)

    it("succeeds once the run has ended", function()
      local id = env:import_integration()
      env:run(id)
      env:advance(fixture.RUN_DURATION)
      local status = env:call("DELETE", "/integrations/" .. id)
      assert.are.equal(200, status)
    end)

    it("responds with 404 for an unknown id", function()
      local status = env:call("DELETE", "/integrations/" .. string.rep("f", 32))
      assert.are.equal(404, status)
    end)
  end)
end)
