-- Integration flows end to end: create, list, get, update, run and delete.
local sdk = require("helpers.sdk")

-- The exception behaviour the SDK fills in for a step that gives none.
local DEFAULT_EXCEPTION_BEHAVIOR = {
  { type = "failure", strategy = "stop" },
  { type = "partial_success", strategy = "continue" },
}

-- The flow body the SDK sends for sdk.flow_input(first, second, name).
local function sent_flow(first, second, name)
  return {
    name = name,
    version = "2.0",
    type = "IntegrationFlow",
    steps = {
      { type = "Integration", referrer = first, dependsOn = {}, isSkipped = false,
        exceptionBehavior = DEFAULT_EXCEPTION_BEHAVIOR },
      { type = "Integration", referrer = second, dependsOn = { first }, isSkipped = false,
        exceptionBehavior = DEFAULT_EXCEPTION_BEHAVIOR },
    },
  }
end

describe("flows", function()
  local emulator, cw, flows, first_id, second_id

  sdk.client_for_each_test(function(shared_emulator, new_client)
    emulator, cw = shared_emulator, new_client.cw
  end)

  before_each(function()
    flows = cw.flows
    local connection_id = sdk.make_connection(cw, "flow-source")
    first_id = sdk.make_import_integration(cw, connection_id, "flow-first")
    second_id = sdk.make_import_integration(cw, connection_id, "flow-second")
  end)

  describe("create_flow", function()
    it("fills step defaults and returns the id", function()
      local id = flows:create_flow(sdk.flow_input(first_id, second_id, "flow-plain"))

      local request = sdk.last_request(emulator)
      assert.are.equal("POST", request.method)
      assert.are.equal("/integrationflows", request.route)
      assert.are.equal("", request.query)
      assert.are.same(sent_flow(first_id, second_id, "flow-plain"), sdk.body_of(request))
      assert.truthy(request.body:find('"dependsOn":[]', 1, true))
      assert.truthy(request.body:find('"dependsOn":["' .. first_id .. '"]', 1, true))
      sdk.assert_id(id, "flow id")
    end)

    it("sends the same body when built with the constructors", function()
      local models = sdk.models()
      local input = models.FlowInput {
        name = "flow-built",
        steps = {
          models.FlowStepInput { referrer = first_id, depends_on = {} },
          models.FlowStepInput { referrer = second_id, depends_on = { first_id } },
        },
      }

      flows:create_flow(input)

      assert.are.same(sent_flow(first_id, second_id, "flow-built"), sdk.body_of(sdk.last_request(emulator)))
    end)

    it("rejects a later step without dependsOn before sending", function()
      local input = sdk.flow_input(first_id, second_id, "flow-corrupt")
      input.steps[2].dependsOn = nil

      local err = sdk.rejected_before_sending(emulator, flows.create_flow, flows, input)

      assert.truthy(tostring(err.message):find("dependsOn", 1, true))
    end)

    it("rejects a flow of one step before sending", function()
      local input = sdk.flow_input(first_id, second_id, "flow-short")
      input.steps[2] = nil

      sdk.rejected_before_sending(emulator, flows.create_flow, flows, input)
    end)
  end)

  describe("list_flows", function()
    it("returns every flow as an array", function()
      local id = flows:create_flow(sdk.flow_input(first_id, second_id, "flow-listed"))

      local list = flows:list_flows()

      local request = sdk.last_request(emulator)
      assert.are.equal("GET", request.method)
      assert.are.equal("/integrationflows", request.route)
      assert.are.same({ limit = "5000", offset = "0" }, sdk.query_of(request))
      assert.are.equal("", request.body)
      assert.are.equal(1, #list)
      assert.are.equal(id, list[1].id)
      assert.are.equal("flow-listed", list[1].name)
      assert.are.equal(2, list[1].stepsCount)
      assert.are.equal("integer", math.type(list[1].stepsCount))
    end)

    it("sends myIntegrations=1 for the current user's flows only", function()
      flows:list_flows { current_user_only = true }

      assert.are.same({ limit = "5000", offset = "0", myIntegrations = "1" }, sdk.query_of(sdk.last_request(emulator)))
    end)
  end)

  describe("get_flow", function()
    it("returns the flow with its steps", function()
      local id = flows:create_flow(sdk.flow_input(first_id, second_id, "flow-read"))

      local flow = flows:get_flow(id)

      local request = sdk.last_request(emulator)
      assert.are.equal("GET", request.method)
      assert.are.equal("/integrationflows/" .. id, request.route)
      assert.are.equal("", request.query)
      assert.are.equal("", request.body)
      assert.are.equal(id, flow.id)
      assert.are.equal("flow-read", flow.name)
      assert.are.equal(2, #flow.steps)
      assert.are.equal(first_id, flow.steps[1].referrer)
      assert.are.same({ first_id }, flow.steps[2].dependsOn)
    end)
  end)

  describe("update_flow", function()
    it("sends the whole flow with PUT", function()
      local id = flows:create_flow(sdk.flow_input(first_id, second_id, "flow-before"))
      local input = sdk.flow_input(second_id, first_id, "flow-after")

      local result = flows:update_flow(id, input)

      local request = sdk.last_request(emulator)
      assert.are.equal("PUT", request.method)
      assert.are.equal("/integrationflows/" .. id, request.route)
      assert.are.equal("", request.query)
      assert.are.same(sent_flow(second_id, first_id, "flow-after"), sdk.body_of(request))
      assert.is_nil(result)
      local stored = flows:get_flow(id)
      assert.are.equal("flow-after", stored.name)
      assert.are.equal(second_id, stored.steps[1].referrer)
    end)
  end)

  describe("run_flow", function()
    it("sends no body to run every step", function()
      local id = flows:create_flow(sdk.flow_input(first_id, second_id, "flow-run-all"))

      local run_id = flows:run_flow(id)

      local request = sdk.last_request(emulator)
      assert.are.equal("POST", request.method)
      assert.are.equal("/integrationflows/" .. id .. "/run", request.route)
      assert.are.equal("", request.query)
      assert.are.equal("", request.body)
      sdk.assert_id(run_id, "flow run id")
    end)

    it("sends stepsToRun for a subset of the steps", function()
      local id = flows:create_flow(sdk.flow_input(first_id, second_id, "flow-run-some"))

      local run_id = flows:run_flow(id, { only_steps = { second_id } })

      local request = sdk.last_request(emulator)
      assert.are.equal("POST", request.method)
      assert.are.equal("/integrationflows/" .. id .. "/run", request.route)
      assert.are.equal("", request.query)
      assert.are.same({ stepsToRun = { second_id } }, sdk.body_of(request))
      assert.truthy(request.body:find('{"stepsToRun":["' .. second_id .. '"]}', 1, true))
      sdk.assert_id(run_id, "flow run id")
    end)

    it("rejects an empty step list before sending", function()
      local id = flows:create_flow(sdk.flow_input(first_id, second_id, "flow-run-none"))

      sdk.rejected_before_sending(emulator, flows.run_flow, flows, id, { only_steps = {} })
    end)

    it("rejects a step id that is not an id before sending", function()
      local id = flows:create_flow(sdk.flow_input(first_id, second_id, "flow-run-bad"))

      sdk.rejected_before_sending(emulator, flows.run_flow, flows, id, { only_steps = { "../x" } })
    end)
  end)

  describe("delete_flow", function()
    it("sends DELETE and the flow is gone", function()
      local id = flows:create_flow(sdk.flow_input(first_id, second_id, "flow-to-delete"))

      local result = flows:delete_flow(id)

      local request = sdk.last_request(emulator)
      assert.are.equal("DELETE", request.method)
      assert.are.equal("/integrationflows/" .. id, request.route)
      assert.are.equal("", request.query)
      assert.are.equal("", request.body)
      assert.is_nil(result)
      assert.are.same({}, flows:list_flows())
    end)
  end)
end)
