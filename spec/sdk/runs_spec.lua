-- Runs end to end: status, waiting, history, error records and error dumps.
local sdk = require("helpers.sdk")

describe("runs", function()
  local emulator, cw, connection_id, integration_id

  sdk.client_for_each_test(function(shared_emulator, new_client)
    emulator, cw = shared_emulator, new_client.cw
  end)

  before_each(function()
    connection_id = sdk.make_connection(cw, "run-source")
    integration_id = sdk.make_import_integration(cw, connection_id, "run-import")
  end)

  local function status_polls()
    local count = 0
    for _, entry in ipairs(sdk.cloudworks_requests(emulator)) do
      if entry.method == "GET" and entry.route:match("^/integrations/run/%x+$") then
        count = count + 1
      end
    end
    return count
  end

  describe("get_run_status", function()
    it("returns the run while it is in flight", function()
      emulator:configure { run_duration = 30 }
      local run_id = cw:run_integration(integration_id)

      local status = cw:get_run_status(run_id)

      local request = sdk.last_request(emulator)
      assert.are.equal("GET", request.method)
      assert.are.equal("/integrations/run/" .. run_id, request.route)
      assert.are.equal("", request.query)
      assert.are.equal("", request.body)
      assert.are.equal(run_id, status.id)
      assert.are.equal(integration_id, status.integrationId)
      assert.is_string(status.startDate)
      assert.is_nil(status.endDate)
      assert.is_nil(status.executionErrorCode)
    end)
  end)

  describe("wait_for_run", function()
    it("returns the final status and reports every poll", function()
      local run_id = cw:run_integration(integration_id)
      emulator:clear_requests()
      local seen = {}

      local final = cw:wait_for_run(run_id, {
        interval = sdk.POLL_INTERVAL,
        timeout = 10,
        on_progress = function(status)
          seen[#seen + 1] = status
        end,
      })

      assert.are.equal(run_id, final.id)
      assert.is_string(final.endDate)
      assert.is_true(final.success)
      assert.are.equal(status_polls(), #seen)
      assert.is_true(#seen >= 2, "a 0.2 s run polled every 0.05 s should take several polls")
      assert.are.same(final, seen[#seen])
      for i = 1, #seen - 1 do
        assert.is_nil(seen[i].endDate)
      end
    end)

    it("returns a partial failure as the final status", function()
      emulator:set_next_outcome(integration_id, "partial_failure")
      local run_id = cw:run_integration(integration_id)

      local final = cw:wait_for_run(run_id, { interval = sdk.POLL_INTERVAL, timeout = 10 })

      assert.is_string(final.endDate)
      assert.are.equal("integer", math.type(final.executionErrorCode))
    end)

    it("raises a timeout error when the run outlasts the timeout", function()
      emulator:configure { run_duration = 30 }
      local run_id = cw:run_integration(integration_id)
      local started = os.time()

      local err = sdk.error_of("timeout", cw.wait_for_run, cw, run_id, { interval = sdk.POLL_INTERVAL, timeout = 0.3 })

      assert.truthy(tostring(err.message):find(run_id, 1, true))
      assert.is_true(os.time() - started <= 5)
      assert.is_true(status_polls() >= 2)
    end)
  end)

  describe("get_run_history", function()
    it("returns the runs newest first with epoch-second lastRun", function()
      local first = sdk.finished_run(cw, integration_id)
      local second = sdk.finished_run(cw, integration_id)

      local runs = cw:get_run_history(integration_id)

      local request = sdk.last_request(emulator)
      assert.are.equal("GET", request.method)
      assert.are.equal("/integrations/runs/" .. integration_id, request.route)
      assert.are.same({ limit = "5000", offset = "0" }, sdk.query_of(request))
      assert.are.equal("", request.body)
      assert.are.equal(2, #runs)
      assert.are.equal(second, runs[1].id)
      assert.are.equal(first, runs[2].id)
      for _, run in ipairs(runs) do
        assert.are.equal("integer", math.type(run.lastRun))
        assert.is_true(run.success)
        sdk.assert_id(run.traceId, "traceId")
      end
    end)

    it("returns an empty table for an integration never run", function()
      assert.are.same({}, cw:get_run_history(integration_id))
    end)
  end)

  describe("get_run_error", function()
    it("returns nil for a clean run", function()
      local run_id = sdk.finished_run(cw, integration_id)

      local errors = cw:get_run_error(run_id)

      local request = sdk.last_request(emulator)
      assert.are.equal("GET", request.method)
      assert.are.equal("/integrations/runerror/" .. run_id, request.route)
      assert.are.equal("", request.query)
      assert.are.equal("", request.body)
      assert.is_nil(errors)
    end)

    it("returns the error records of a failed run", function()
      emulator:set_next_outcome(integration_id, "failure")
      local run_id = sdk.finished_run(cw, integration_id)

      local errors = cw:get_run_error(run_id)

      assert.are.equal(1, #errors)
      local message = errors[1].errorMessages[1]
      assert.are.equal("112000000001", message.actionId)
      assert.is_true(message.failureDumpGenerated)
      assert.are.equal("integer", math.type(message.errorMessage[1].occurrences))
    end)
  end)

  describe("get_import_error_dump", function()
    it("returns the dump of a failed import as CSV text", function()
      emulator:set_next_outcome(integration_id, "partial_failure")
      local run_id = sdk.finished_run(cw, integration_id)

      local dump = cw:get_import_error_dump(run_id)

      local request = sdk.last_request(emulator)
      assert.are.equal("GET", request.method)
      assert.are.equal("/integrations/run/" .. run_id .. "/dumps", request.route)
      assert.are.equal("", request.query)
      assert.are.equal("", request.body)
      assert.is_string(dump)
      local lines = {}
      for line in dump:gmatch("[^\r\n]+") do
        lines[#lines + 1] = line
      end
      assert.are.equal('"_Line_","_Error_1_","Code","Value"', lines[1])
      assert.are.equal(3, #lines)
    end)
  end)

  describe("get_process_error_dump", function()
    it("asks for the import action's dump of a process run", function()
      local process_id = cw:create_integration(sdk.process_integration_input(connection_id, "run-process"))
      emulator:set_next_outcome(process_id, "partial_failure")
      local run_id = sdk.finished_run(cw, process_id)

      local dump = cw:get_process_error_dump(run_id, sdk.IMPORT_ACTION_ID)

      local request = sdk.last_request(emulator)
      assert.are.equal("GET", request.method)
      assert.are.equal("/integrations/run/" .. run_id .. "/process/import/112000000001/dumps", request.route)
      assert.are.equal("", request.query)
      assert.are.equal("", request.body)
      assert.is_string(dump)
      assert.are.equal('"_Line_","_Error_1_","Code","Value"', dump:match("^[^\r\n]+"))
    end)

    it("accepts the action id as a string of digits", function()
      local process_id = cw:create_integration(sdk.process_integration_input(connection_id, "run-process-text"))
      emulator:set_next_outcome(process_id, "failure")
      local run_id = sdk.finished_run(cw, process_id)

      local dump = cw:get_process_error_dump(run_id, "112000000001")

      assert.is_string(dump)
      assert.are.equal("/integrations/run/" .. run_id .. "/process/import/112000000001/dumps",
        sdk.last_request(emulator).route)
    end)

    it("rejects an action id that is not digits before sending", function()
      local run_id = sdk.finished_run(cw, integration_id)

      sdk.rejected_before_sending(emulator, cw.get_process_error_dump, cw, run_id, "112/../1")
    end)
  end)
end)
