local fixture = require("emulator.cloudworks_fixture")

local function step(referrer, depends_on, options)
  options = options or {}
  return {
    type = "Integration",
    referrer = referrer,
    dependsOn = depends_on or {},
    isSkipped = options.skipped or false,
    exceptionBehavior = options.behavior or {
      { type = "failure", strategy = "stop" },
      { type = "partial_success", strategy = "continue" },
    },
  }
end

local function flow_body(name, steps)
  return { name = name, version = "2.0", type = "IntegrationFlow", steps = steps }
end

describe("CloudWorks integration flows", function()
  local env, first, second, third

  before_each(function()
    env = fixture.new()
    first = env:import_integration("first import")
    second = env:export_integration("second export")
    third = env:process_integration("third process")
  end)

  local function create_flow(steps, user)
    local status, response = env:call("POST", "/integrationflows", flow_body("nightly", steps), { user = user })
    assert.are.equal(200, status, fixture.details(response or {}))
    return response.integrationFlow.integrationFlowId
  end

  local function run_flow(flow_id, body)
    local status, response = env:call("POST", "/integrationflows/" .. flow_id .. "/run", body)
    assert.are.equal(200, status, fixture.details(response or {}))
    return response.run.id
  end

  local function history(integration_id)
    local _, response = env:call("GET", "/integrations/runs/" .. integration_id)
    return response.history_of_runs.runs
  end

  describe("create", function()
    it("returns the new id wrapped in integrationFlow.integrationFlowId", function()
      local status, response = env:call("POST", "/integrationflows", flow_body("f", { step(first), step(second, { first }) }))
      assert.are.equal(200, status)
      assert.are.same({ code = 200, message = "Success" }, response.status)
      assert.matches(fixture.ID_PATTERN, response.integrationFlow.integrationFlowId)
    end)

    it("rejects a flow with fewer than 2 steps", function()
      local status, response = env:call("POST", "/integrationflows", flow_body("f", { step(first) }))
      assert.are.equal(400, status)
      assert.matches("body.steps: must have at least 2 items", fixture.details(response), 1, true)
    end)

    it("rejects a flow with more than 100 steps", function()
      local steps = {}
      for index = 1, 101 do
        steps[index] = step(first)
      end
      local status, response = env:call("POST", "/integrationflows", flow_body("f", steps))
      assert.are.equal(400, status)
      assert.matches("body.steps: must have at most 100 items", fixture.details(response), 1, true)
    end)

    it("rejects a step whose referrer is not an integration", function()
      local status, response = env:call("POST", "/integrationflows", flow_body("f", { step(first), step(string.rep("f", 32), { first }) }))
      assert.are.equal(400, status)
      assert.matches("body.steps[1].referrer: no integration has this id", fixture.details(response), 1, true)
    end)

    it("rejects dependsOn naming a step outside the flow", function()
      local status, response = env:call("POST", "/integrationflows", flow_body("f", { step(first), step(second, { third }) }))
      assert.are.equal(400, status)
      assert.matches("body.steps[1].dependsOn[0]: names no step of this flow", fixture.details(response), 1, true)
    end)

    it("rejects dependencies that form a cycle", function()
      local status, response = env:call("POST", "/integrationflows", flow_body("f", { step(first, { second }), step(second, { first }) }))
      assert.are.equal(400, status)
      assert.matches("body.steps: dependsOn forms a cycle", fixture.details(response), 1, true)
    end)

    it("rejects the same integration twice", function()
      local status, response = env:call("POST", "/integrationflows", flow_body("f", { step(first), step(first) }))
      assert.are.equal(400, status)
      assert.matches("body.steps[1].referrer: repeats the integration of an earlier step", fixture.details(response), 1, true)
    end)

    it("rejects a wrong version, type or step type", function()
      local body = flow_body("f", { step(first), step(second, { first }) })
      body.version = "1.0"
      body.type = "Flow"
      body.steps[1].type = "Process"
      local status, response = env:call("POST", "/integrationflows", body)
      assert.are.equal(400, status)
      local details = fixture.details(response)
      assert.matches("body.version: must be one of 2.0", details, 1, true)
      assert.matches("body.type: must be one of IntegrationFlow", details, 1, true)
      assert.matches("body.steps[0].type: must be one of Integration", details, 1, true)
    end)

    it("rejects an unknown exception strategy", function()
      local body = flow_body("f", { step(first, {}, { behavior = { { type = "failure", strategy = "retry" } } }), step(second, { first }) })
      local status, response = env:call("POST", "/integrationflows", body)
      assert.are.equal(400, status)
      assert.matches("body.steps[0].exceptionBehavior[0].strategy: must be one of stop, continue", fixture.details(response), 1, true)
    end)

    it("rejects a repeated exception type", function()
      local behavior = { { type = "failure", strategy = "stop" }, { type = "failure", strategy = "continue" } }
      local body = flow_body("f", { step(first), step(second, { first }, { behavior = behavior }) })
      local status, response = env:call("POST", "/integrationflows", body)
      assert.are.equal(400, status)
      assert.are.same({ "body.steps[1].exceptionBehavior[1].type: repeats an earlier item's type" }, response.details)
    end)

    it("rejects a step without isSkipped", function()
      local body = flow_body("f", { step(first), step(second, { first }) })
      body.steps[2].isSkipped = nil
      local status, response = env:call("POST", "/integrationflows", body)
      assert.are.equal(400, status)
      assert.matches("body.steps[1].isSkipped: is required", fixture.details(response), 1, true)
    end)
  end)

  describe("get", function()
    it("returns the steps with their integration's details", function()
      local flow_id = create_flow({ step(first), step(second, { first }), step(third, { second }) })
      local status, response, _, text = env:call("GET", "/integrationflows/" .. flow_id)
      assert.are.equal(200, status)
      local flow = response.integrationFlow
      assert.are.equal(flow_id, flow.id)
      assert.are.equal("nightly", flow.name)
      assert.are.equal("2.0", flow.version)
      assert.are.equal(3, flow.stepsCount)
      assert.are.same({ "Import", "Export", "Process" }, { flow.steps[1].type, flow.steps[2].type, flow.steps[3].type })
      assert.are.equal("first import", flow.steps[1].name)
      assert.are.equal(fixture.MODEL_ID, flow.steps[1].modelId)
      assert.are.equal(fixture.WORKSPACE_ID, flow.steps[1].workspaceId)
      assert.are.same({ first }, flow.steps[2].dependsOn)
      assert.matches('"dependsOn":[]', text, 1, true)
      assert.matches("^%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d%.%d%d%d%d%d%d%+00:00$", flow.steps[1].createdDate)
      assert.matches(fixture.ISO_PATTERN, flow.creationDate)
    end)

    it("responds with 404 for an unknown id", function()
      local status, response = env:call("GET", "/integrationflows/" .. string.rep("f", 32))
      assert.are.equal(404, status)
      assert.are.equal("Integration flow not found", response.status.message)
    end)
  end)

  describe("list", function()
    it("returns summaries with paging", function()
      local flow_id = create_flow({ step(first), step(second, { first }) })
      local status, response = env:call("GET", "/integrationflows")
      assert.are.equal(200, status)
      assert.are.equal(flow_id, response.integrationFlows[1].id)
      assert.are.equal(2, response.integrationFlows[1].stepsCount)
      assert.is_nil(response.integrationFlows[1].steps)
      assert.are.same({ currentPageSize = 1, totalSize = 1, offset = 0 }, response.meta.paging)
    end)

    it("keeps only the caller's flows with myIntegrations=1", function()
      create_flow({ step(first), step(second, { first }) })
      local theirs = create_flow({ step(second), step(third, { second }) }, fixture.OTHER_USER)
      local _, response = env:call("GET", "/integrationflows", nil, { query = { myIntegrations = "1" }, user = fixture.OTHER_USER })
      assert.are.equal(1, #response.integrationFlows)
      assert.are.equal(theirs, response.integrationFlows[1].id)
    end)

    it("rejects myIntegrations other than 0 or 1", function()
      local status, response = env:call("GET", "/integrationflows", nil, { query = { myIntegrations = "2" } })
      assert.are.equal(400, status)
      assert.matches("myIntegrations: must be 0 or 1", fixture.details(response), 1, true)
    end)

    it("cuts pages to page_cap", function()
      env.state:configure({ page_cap = 1 })
      create_flow({ step(first), step(second, { first }) })
      create_flow({ step(second), step(third, { second }) })
      local _, response = env:call("GET", "/integrationflows", nil, { query = { limit = "5" } })
      assert.are.equal(1, #response.integrationFlows)
      assert.are.equal(2, response.meta.paging.totalSize)
    end)
  end)

  describe("PUT", function()
    it("replaces the steps", function()
      local flow_id = create_flow({ step(first), step(second, { first }) })
      local status = env:call("PUT", "/integrationflows/" .. flow_id, flow_body("renamed", { step(third), step(first, { third }) }))
      assert.are.equal(200, status)
      local _, response = env:call("GET", "/integrationflows/" .. flow_id)
      assert.are.equal("renamed", response.integrationFlow.name)
      assert.are.equal(third, response.integrationFlow.steps[1].referrer)
    end)

    it("rejects an invalid flow", function()
      local flow_id = create_flow({ step(first), step(second, { first }) })
      local status = env:call("PUT", "/integrationflows/" .. flow_id, flow_body("short", { step(first) }))
      assert.are.equal(400, status)
    end)

    it("responds with 404 for an unknown id", function()
      local status = env:call("PUT", "/integrationflows/" .. string.rep("f", 32), flow_body("f", { step(first), step(second, { first }) }))
      assert.are.equal(404, status)
    end)
  end)

  describe("DELETE", function()
    it("removes the flow and frees its integrations", function()
      local flow_id = create_flow({ step(first), step(second, { first }) })
      assert.are.equal(409, (env:call("DELETE", "/integrations/" .. first)))
      local status = env:call("DELETE", "/integrationflows/" .. flow_id)
      assert.are.equal(200, status)
      assert.are.equal(404, (env:call("GET", "/integrationflows/" .. flow_id)))
      assert.are.equal(200, (env:call("DELETE", "/integrations/" .. first)))
    end)

    it("responds with 409 while the flow runs", function()
      local flow_id = create_flow({ step(first), step(second, { first }) })
      run_flow(flow_id)
      local status = env:call("DELETE", "/integrationflows/" .. flow_id)
      assert.are.equal(409, status)
    end)

    it("responds with 404 for an unknown id", function()
      local status = env:call("DELETE", "/integrationflows/" .. string.rep("f", 32))
      assert.are.equal(404, status)
    end)
  end)

  describe("run", function()
    it("returns the run id wrapped in run.id", function()
      local flow_id = create_flow({ step(first), step(second, { first }) })
      local status, response = env:call("POST", "/integrationflows/" .. flow_id .. "/run")
      assert.are.equal(200, status)
      assert.matches(fixture.ID_PATTERN, response.run.id)
    end)

    it("accepts an empty JSON object as body", function()
      local flow_id = create_flow({ step(first), step(second, { first }) })
      local status = env:call("POST", "/integrationflows/" .. flow_id .. "/run", {})
      assert.are.equal(200, status)
    end)

    it("runs the steps one after another in dependency order", function()
      -- Listed out of order: third runs first, then first, then second.
      local flow_id = create_flow({ step(second, { first }), step(first, { third }), step(third) })
      run_flow(flow_id)
      assert.are.equal(1, #history(third))
      assert.are.equal(0, #history(first))
      env:advance(fixture.RUN_DURATION)
      assert.are.equal(1, #history(first))
      assert.are.equal(0, #history(second))
      env:advance(fixture.RUN_DURATION)
      assert.are.equal(1, #history(second))
      local third_run = history(third)[1]
      local first_run = history(first)[1]
      assert.are.equal(third_run.endDate, first_run.startDate)
    end)

    it("marks each step run with flowGroupId and triggerSource manual", function()
      local flow_id = create_flow({ step(first), step(second, { first }) })
      local flow_run_id = run_flow(flow_id)
      env:advance(2 * fixture.RUN_DURATION)
      for _, integration_id in ipairs({ first, second }) do
        local record = history(integration_id)[1]
        assert.are.equal("manual", record.triggerSource)
        local run = env:run_status(record.id)
        assert.are.equal(flow_run_id, run.flowGroupId)
        assert.are.equal(integration_id, run.integrationId)
      end
    end)

    it("stops after a failed step whose strategy is stop", function()
      env.state:set_next_outcome(first, "failure")
      local flow_id = create_flow({ step(first), step(second, { first }) })
      run_flow(flow_id)
      env:advance(3 * fixture.RUN_DURATION)
      assert.is_false(history(first)[1].success)
      assert.are.equal(0, #history(second))
      local _, response = env:call("GET", "/integrationflows/" .. flow_id)
      assert.is_false(response.integrationFlow.latestRun.success)
    end)

    it("continues after a failed step whose strategy is continue", function()
      env.state:set_next_outcome(first, "failure")
      local behavior = { { type = "failure", strategy = "continue" } }
      local flow_id = create_flow({ step(first, {}, { behavior = behavior }), step(second, { first }) })
      run_flow(flow_id)
      env:advance(2 * fixture.RUN_DURATION)
      assert.are.equal(1, #history(second))
    end)

    it("continues after a partial success by default", function()
      env.state:set_next_outcome(first, "partial_failure")
      local flow_id = create_flow({ step(first, {}, { behavior = {} }), step(second, { first }) })
      run_flow(flow_id)
      env:advance(2 * fixture.RUN_DURATION)
      assert.are.equal(1, #history(second))
    end)

    it("stops after a partial success whose strategy is stop", function()
      env.state:set_next_outcome(first, "partial_failure")
      local behavior = { { type = "partial_success", strategy = "stop" } }
      local flow_id = create_flow({ step(first, {}, { behavior = behavior }), step(second, { first }) })
      run_flow(flow_id)
      env:advance(3 * fixture.RUN_DURATION)
      assert.are.equal(0, #history(second))
    end)

    it("skips steps marked isSkipped", function()
      local flow_id = create_flow({ step(first), step(second, { first }, { skipped = true }), step(third, { second }) })
      run_flow(flow_id)
      env:advance(3 * fixture.RUN_DURATION)
      assert.are.equal(1, #history(first))
      assert.are.equal(0, #history(second))
      assert.are.equal(1, #history(third))
    end)

    it("runs only stepsToRun when given", function()
      local flow_id = create_flow({ step(first), step(second, { first }), step(third, { second }) })
      run_flow(flow_id, { stepsToRun = { third } })
      env:advance(3 * fixture.RUN_DURATION)
      assert.are.equal(0, #history(first))
      assert.are.equal(0, #history(second))
      assert.are.equal(1, #history(third))
    end)

    it("rejects stepsToRun naming a step outside the flow", function()
      local flow_id = create_flow({ step(first), step(second, { first }) })
      local status, response = env:call("POST", "/integrationflows/" .. flow_id .. "/run", { stepsToRun = { third } })
      assert.are.equal(400, status)
      assert.matches("body.stepsToRun[0]: names no step of this flow", fixture.details(response), 1, true)
    end)

    it("responds with 409 while the flow runs", function()
      local flow_id = create_flow({ step(first), step(second, { first }) })
      run_flow(flow_id)
      env:advance(fixture.RUN_DURATION + 1)
      local status, response = env:call("POST", "/integrationflows/" .. flow_id .. "/run")
      assert.are.equal(409, status)
      assert.are.equal("Integration flow is already running", response.status.message)
    end)

    it("runs again once every step has ended", function()
      local flow_id = create_flow({ step(first), step(second, { first }) })
      run_flow(flow_id)
      env:advance(2 * fixture.RUN_DURATION)
      local status = env:call("POST", "/integrationflows/" .. flow_id .. "/run")
      assert.are.equal(200, status)
    end)

    it("responds with 409 while one of its integrations runs", function()
      local flow_id = create_flow({ step(first), step(second, { first }) })
      env:run(second)
      local status = env:call("POST", "/integrationflows/" .. flow_id .. "/run")
      assert.are.equal(409, status)
    end)

    it("keeps a waiting step's integration from running on its own", function()
      local flow_id = create_flow({ step(first), step(second, { first }) })
      run_flow(flow_id)
      local status = env:call("POST", "/integrations/" .. second .. "/run")
      assert.are.equal(409, status)
    end)

    it("stops the flow when a step's run is cancelled", function()
      local flow_id = create_flow({ step(first), step(second, { first }) })
      run_flow(flow_id)
      env:advance(1)
      assert.are.equal(200, (env:call("POST", "/integrations/" .. first .. "/cancel")))
      env:advance(2 * fixture.RUN_DURATION)
      assert.are.equal(0, #history(second))
      local _, response = env:call("GET", "/integrationflows/" .. flow_id)
      assert.are.equal("Cancelled", response.integrationFlow.latestRun.message)
    end)

    it("reports the flow's latest run and each step's", function()
      local flow_id = create_flow({ step(first), step(second, { first }) })
      run_flow(flow_id)
      local _, running = env:call("GET", "/integrationflows/" .. flow_id)
      assert.is_nil(running.integrationFlow.latestRun.endDate)
      assert.is_nil(running.integrationFlow.steps[2].latestRun)
      env:advance(2 * fixture.RUN_DURATION)
      local _, done = env:call("GET", "/integrationflows/" .. flow_id)
      local flow = done.integrationFlow
      assert.is_true(flow.latestRun.success)
      assert.matches(fixture.ISO_PATTERN, flow.latestRun.endDate)
      assert.is_true(flow.steps[2].latestRun.success)
    end)

    it("responds with 404 for an unknown flow", function()
      local status = env:call("POST", "/integrationflows/" .. string.rep("f", 32) .. "/run")
      assert.are.equal(404, status)
    end)
  end)
end)
