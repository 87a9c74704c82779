local fixture = require("emulator.cloudworks_fixture")

describe("CloudWorks error dumps", function()
  local env

  before_each(function()
    env = fixture.new()
  end)

  -- Runs the integration to its end with the given outcome; returns the run id.
  local function finished_run(integration_id, outcome)
    if outcome then
      env.state:set_next_outcome(integration_id, outcome)
    end
    local run_id = env:run(integration_id)
    env:advance(fixture.RUN_DURATION)
    return run_id
  end

  local function csv_lines(text)
    local lines = {}
    for line in text:gmatch("([^\r\n]+)") do
      lines[#lines + 1] = line
    end
    return lines
  end

  describe("import dump", function()
    it("returns the CSV of the rejected rows of a failed import", function()
      local run_id = finished_run(env:import_integration(), "failure")
      local status, body, headers = env:call("GET", "/integrations/run/" .. run_id .. "/dumps")
      assert.are.equal(200, status)
      assert.are.equal("string", type(body))
      assert.matches("^text/csv", headers["Content-Type"])
      local lines = csv_lines(body)
      assert.are.equal('"_Line_","_Error_1_","Code","Value"', lines[1])
      assert.are.equal(11, #lines)
    end)

    it("returns only the failed rows of a partial failure", function()
      local run_id = finished_run(env:import_integration(), "partial_failure")
      local _, body = env:call("GET", "/integrations/run/" .. run_id .. "/dumps")
      assert.are.equal(3, #csv_lines(body))
    end)

    it("responds with a JSON 404 for a clean run", function()
      local run_id = finished_run(env:import_integration())
      local status, response = env:call("GET", "/integrations/run/" .. run_id .. "/dumps")
      assert.are.equal(404, status)
      assert.are.same({ code = 404, message = "Error dump not found" }, response.status)
    end)

    it("responds with a JSON 404 while the run is in flight", function()
      local integration_id = env:import_integration()
      env.state:set_next_outcome(integration_id, "failure")
      local run_id = env:run(integration_id)
      local status = env:call("GET", "/integrations/run/" .. run_id .. "/dumps")
      assert.are.equal(404, status)
    end)

    it("responds with a JSON 404 for a failed export", function()
      local run_id = finished_run(env:export_integration(), "failure")
      local status = env:call("GET", "/integrations/run/" .. run_id .. "/dumps")
      assert.are.equal(404, status)
    end)

    it("responds with a JSON 404 for an unknown run", function()
      local status = env:call("GET", "/integrations/run/" .. string.rep("f", 32) .. "/dumps")
      assert.are.equal(404, status)
    end)

    it("is not served at the singular /dump path", function()
      local run_id = finished_run(env:import_integration(), "failure")
      local status, body = env:call("GET", "/integrations/run/" .. run_id .. "/dump")
      assert.is_nil(status)
      assert.is_nil(body)
    end)
  end)

  describe("process dump", function()
    it("returns the CSV for an import action of the process", function()
      local run_id = finished_run(env:process_integration(), "failure")
      local status, body, headers = env:call("GET", "/integrations/run/" .. run_id .. "/process/import/112000000022/dumps")
      assert.are.equal(200, status)
      assert.matches("^text/csv", headers["Content-Type"])
      assert.are.equal('"_Line_","_Error_1_","Code","Value"', csv_lines(body)[1])
    end)

    it("responds with a JSON 404 for an action that is not one of its jobs", function()
      local run_id = finished_run(env:process_integration(), "failure")
      local status, response = env:call("GET", "/integrations/run/" .. run_id .. "/process/import/112000000099/dumps")
      assert.are.equal(404, status)
      assert.are.equal(404, response.status.code)
    end)

    it("responds with a JSON 404 for a clean process run", function()
      local run_id = finished_run(env:process_integration())
      local status = env:call("GET", "/integrations/run/" .. run_id .. "/process/import/112000000021/dumps")
      assert.are.equal(404, status)
    end)

    it("responds with a JSON 404 for a run of an import integration", function()
      local run_id = finished_run(env:import_integration(), "failure")
      local status = env:call("GET", "/integrations/run/" .. run_id .. "/process/import/112000000011/dumps")
      assert.are.equal(404, status)
    end)

    it("responds with a JSON 404 for a process without jobs", function()
      local integration_id = env:create_integration(fixture.integration_body("process only", nil, "118000000012"))
      local run_id = finished_run(integration_id, "failure")
      local status = env:call("GET", "/integrations/run/" .. run_id .. "/process/import/118000000012/dumps")
      assert.are.equal(404, status)
    end)

    it("lists each import action of a failed process in its error record", function()
      local run_id = finished_run(env:process_integration(), "failure")
      local _, response = env:call("GET", "/integrations/runerror/" .. run_id)
      local messages = response.runs[1].errorMessages
      assert.are.equal("112000000021", messages[1].actionId)
      assert.are.equal("112000000022", messages[2].actionId)
    end)

    it("reports a failed process as Process failed", function()
      local run_id = finished_run(env:process_integration(), "failure")
      local run = env:run_status(run_id)
      assert.is_false(run.success)
      assert.are.equal("Process failed", run.message)
    end)
  end)
end)
