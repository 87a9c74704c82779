-- Errors end to end: HTTP errors from the API, a non-JSON error page, and
-- validation errors raised before anything is sent.
local anaplan = require("anaplan")
local sdk = require("helpers.sdk")

-- A well-formed id that no record has.
local UNKNOWN_ID = "0123456789abcdef0123456789abcdef"

describe("errors", function()
  local emulator, client, cw

  sdk.client_for_each_test(function(shared_emulator, new_client)
    emulator, client, cw = shared_emulator, new_client, new_client.cw
  end)

  describe("http errors", function()
    it("carries status, code and message of a 400", function()
      local connection_id = sdk.make_connection(cw, "dup-source")
      local integration_id = sdk.make_import_integration(cw, connection_id, "dup-import")

      -- The integration already has a configuration from its creation.
      local err = sdk.error_of("http", cw.create_notification_config, cw, sdk.notification_input(integration_id))

      assert.are.equal(400, err.status)
      assert.are.equal(400, err.code)
      assert.are.equal("Duplicate resource name not allowed", err.api_message)
      assert.are.equal("POST", err.method)
      assert.are.equal("/integrations/notification", err.path)
      assert.truthy(tostring(err):find("400", 1, true))
      assert.is_true(anaplan.errors.is(err, "http"))
      assert.is_false(anaplan.errors.is(err, "validation"))
    end)

    it("carries status, code and message of a 404", function()
      local err = sdk.error_of("http", cw.get_integration, cw, UNKNOWN_ID)

      assert.are.equal(404, err.status)
      assert.are.equal(404, err.code)
      assert.are.equal("Integration not found", err.api_message)
      assert.are.equal("GET", err.method)
      assert.are.equal("/integrations/" .. UNKNOWN_ID, err.path)
    end)

    it("carries status, code and message of a 409", function()
      emulator:configure { run_duration = 30 }
      local connection_id = sdk.make_connection(cw, "busy-source")
      local integration_id = sdk.make_import_integration(cw, connection_id, "busy-import")
      cw:run_integration(integration_id)

      local err = sdk.error_of("http", cw.delete_integration, cw, integration_id)

      assert.are.equal(409, err.status)
      assert.are.equal(409, err.code)
      assert.are.equal("Integration is running", err.api_message)
      assert.are.equal("DELETE", err.method)
      assert.are.equal("/integrations/" .. integration_id, err.path)
    end)

    it("reports an HTML 404 page with a body excerpt", function()
      local err = sdk.error_of("http", client.request, client, "GET", "/no/such/route")

      assert.are.equal(404, err.status)
      assert.are.equal("GET", err.method)
      assert.are.equal("/no/such/route", err.path)
      assert.is_string(err.body_excerpt)
      assert.truthy(err.body_excerpt:find("404 Not Found", 1, true))
      assert.falsy(err.body_excerpt:find("\n", 1, true))
      assert.is_nil(err.api_message)
    end)

    it("reports the dump of a run without failures as a 404", function()
      local connection_id = sdk.make_connection(cw, "clean-source")
      local integration_id = sdk.make_import_integration(cw, connection_id, "clean-import")
      local run_id = sdk.finished_run(cw, integration_id)

      local err = sdk.error_of("http", cw.get_import_error_dump, cw, run_id)

      assert.are.equal(404, err.status)
      assert.are.equal("GET", err.method)
      assert.are.equal("/integrations/run/" .. run_id .. "/dumps", err.path)
    end)
  end)

  describe("validation errors", function()
    local MISSPELT = {
      type = "AzureBlob",
      body = {
        name = "misspelt",
        storageAccount = "salesstorage",
        containerName = "planning",
        sasToken = sdk.SAS_TOKEN,
      },
    }

    it("names the missing field and suggests the misspelt one", function()
      local err = sdk.rejected_before_sending(emulator, cw.create_connection, cw, MISSPELT)

      local lines = sdk.message_lines(err)
      assert.is_true(sdk.has_line(lines, "body.AzureBlobConnectionInput.storageAccountName Field required"),
        "expected the line 'body.AzureBlobConnectionInput.storageAccountName Field required' in:\n" .. err.message)
      local missing = sdk.error_at(err, "body.AzureBlobConnectionInput.storageAccountName")
      assert.is_table(missing)
      assert.are.equal("Field required", missing.msg)
      local unknown = sdk.error_at(err, "body.AzureBlobConnectionInput.storageAccount")
      assert.is_table(unknown, "expected an error at body.AzureBlobConnectionInput.storageAccount")
      assert.truthy(unknown.msg:find("storageAccountName", 1, true))
      local suggestion_line
      for _, line in ipairs(lines) do
        if line:find("body.AzureBlobConnectionInput.storageAccount ", 1, true) then
          suggestion_line = line
        end
      end
      assert.is_string(suggestion_line)
      assert.truthy(suggestion_line:find("storageAccountName", 1, true))
    end)

    it("keeps the SAS token out of the message and tostring", function()
      local err = sdk.rejected_before_sending(emulator, cw.create_connection, cw, MISSPELT)

      assert.falsy(tostring(err.message):find(sdk.SAS_TOKEN, 1, true))
      assert.falsy(tostring(err):find(sdk.SAS_TOKEN, 1, true))
      for _, entry in ipairs(err.errors) do
        assert.falsy(tostring(entry.msg):find(sdk.SAS_TOKEN, 1, true))
      end
    end)

    it("keeps secrets out of every log line", function()
      local lines = {}
      local logged = sdk.client(emulator, {
        log_level = "debug",
        logger = function(level, message)
          lines[#lines + 1] = level .. ": " .. message
        end,
      })

      local id = logged.cw:create_connection(sdk.azure_input("logged-blob"))
      logged.cw:update_connection(id, sdk.azure_input("logged-blob-renamed"))
      pcall(logged.cw.create_connection, logged.cw, MISSPELT)
      pcall(logged.cw.create_connection, logged.cw, sdk.azure_input("logged-blob-renamed"))
      logged:close()

      assert.is_true(#lines > 0, "the logger was never called")
      for _, line in ipairs(lines) do
        assert.falsy(line:find(sdk.SAS_TOKEN, 1, true), "SAS token in log line: " .. line)
        assert.falsy(line:lower():find("anaplanauthtoken %S"), "token in log line: " .. line)
      end
    end)

    it("lists every problem of a body at once", function()
      local err = sdk.rejected_before_sending(emulator, cw.create_connection, cw,
        { type = "AzureBlob", body = { name = "nearly-empty" } })

      assert.is_table(sdk.error_at(err, "body.AzureBlobConnectionInput.storageAccountName"))
      assert.is_table(sdk.error_at(err, "body.AzureBlobConnectionInput.containerName"))
      assert.is_table(sdk.error_at(err, "body.AzureBlobConnectionInput.sasToken"))
    end)

    it("rejects an API name and its snake_case name together", function()
      local input = sdk.azure_input("both-spellings")
      input.body.storage_account_name = "otherstorage"

      sdk.rejected_before_sending(emulator, cw.create_connection, cw, input)
    end)

    it("rejects an unknown connection type", function()
      sdk.rejected_before_sending(emulator, cw.create_connection, cw,
        { type = "Dropbox", body = { name = "elsewhere" } })
    end)

    it("rejects a bad id in the body", function()
      local input = sdk.import_integration_input("../x", "bad-connection-ref")

      sdk.rejected_before_sending(emulator, cw.create_integration, cw, input)
    end)

    it("rejects a model id that is not 32 hexadecimal characters", function()
      local input = sdk.import_integration_input(UNKNOWN_ID, "bad-model")
      input.modelId = "not-a-model"

      sdk.rejected_before_sending(emulator, cw.create_integration, cw, input)
    end)

    it("rejects an action id that is not digits", function()
      local input = sdk.import_integration_input(UNKNOWN_ID, "bad-action")
      input.jobs[1].targets[1].actionId = "11200000000x"

      sdk.rejected_before_sending(emulator, cw.create_integration, cw, input)
    end)

    it("rejects a constructor input on the spot", function()
      local models = sdk.models()

      local err = sdk.error_of("validation", models.AzureBlobConnectionInput, { name = "only-a-name" })

      local found = false
      for _, entry in ipairs(err.errors) do
        if entry.loc:find("storageAccountName", 1, true) then
          found = true
        end
      end
      assert.is_true(found, "expected an error naming storageAccountName:\n" .. err.message)
    end)
  end)

  describe("bad ids", function()
    local BAD_IDS = {
      { "a path", "../x" },
      { "31 characters", string.rep("a", 31) },
      { "33 characters", string.rep("a", 33) },
      { "non-hex characters", string.rep("g", 32) },
      { "a slash", string.rep("a", 16) .. "/" .. string.rep("a", 15) },
      { "an empty string", "" },
      { "a number", 12345 },
    }

    -- One call per operation that takes an id in its path.
    local CALLS = {
      { "update_connection", function(cw, id) return cw:update_connection(id, sdk.azure_input("x")) end },
      { "patch_connection", function(cw, id) return cw:patch_connection(id, { name = "x" }) end },
      { "delete_connection", function(cw, id) return cw:delete_connection(id) end },
      { "get_integration", function(cw, id) return cw:get_integration(id) end },
      { "update_integration", function(cw, id) return cw:update_integration(id, sdk.import_integration_input(UNKNOWN_ID)) end },
      { "delete_integration", function(cw, id) return cw:delete_integration(id) end },
      { "run_integration", function(cw, id) return cw:run_integration(id) end },
      { "cancel_integration", function(cw, id) return cw:cancel_integration(id) end },
      { "create_schedule", function(cw, id) return cw:create_schedule(id, sdk.weekly_schedule()) end },
      { "update_schedule", function(cw, id) return cw:update_schedule(id, sdk.weekly_schedule()) end },
      { "set_schedule_status", function(cw, id) return cw:set_schedule_status(id, "enabled") end },
      { "delete_schedule", function(cw, id) return cw:delete_schedule(id) end },
      { "get_run_history", function(cw, id) return cw:get_run_history(id) end },
      { "get_run_status", function(cw, id) return cw:get_run_status(id) end },
      { "get_run_error", function(cw, id) return cw:get_run_error(id) end },
      { "get_import_error_dump", function(cw, id) return cw:get_import_error_dump(id) end },
      { "get_process_error_dump", function(cw, id) return cw:get_process_error_dump(id, sdk.IMPORT_ACTION_ID) end },
      { "get_notification_config", function(cw, id) return cw:get_notification_config { notification_id = id } end },
      { "update_notification_config", function(cw, id)
        return cw:update_notification_config(id, sdk.notification_input(UNKNOWN_ID))
      end },
      { "delete_notification_config", function(cw, id) return cw:delete_notification_config { notification_id = id } end },
      { "get_flow", function(cw, id) return cw.flows:get_flow(id) end },
      { "update_flow", function(cw, id) return cw.flows:update_flow(id, sdk.flow_input(UNKNOWN_ID, UNKNOWN_ID)) end },
      { "delete_flow", function(cw, id) return cw.flows:delete_flow(id) end },
      { "run_flow", function(cw, id) return cw.flows:run_flow(id) end },
    }

    for _, call in ipairs(CALLS) do
      local name, invoke = call[1], call[2]
      it(name .. " rejects each bad id before sending", function()
        for _, case in ipairs(BAD_IDS) do
          local what, id = case[1], case[2]
          emulator:clear_requests()
          local ok, err = pcall(invoke, cw, id)
          assert.is_false(ok, name .. " accepted " .. what)
          assert.is_true(anaplan.errors.is(err, "validation"),
            string.format("%s with %s: expected a validation error, got %s", name, what, tostring(err)))
          assert.are.equal(0, #emulator:requests(), name .. " sent a request for " .. what)
        end
      end)
    end

    it("names the parameter in the message", function()
      local err = sdk.rejected_before_sending(emulator, cw.get_integration, cw, "../x")

      assert.truthy(err.message:find("integration_id", 1, true))
    end)
  end)
end)
