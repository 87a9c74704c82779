-- Integration flow models: steps, their dependencies and exception
-- behaviour, and the body of a flow run.
local core = require("anaplan.core")
local schema = require("helpers.schema")

local A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1"
local B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2"
local C = "ccccccccccccccccccccccccccccccc3"
local D = "ddddddddddddddddddddddddddddddd4"

local DEFAULT_BEHAVIOR = '[{"type":"failure","strategy":"stop"},{"type":"partial_success","strategy":"continue"}]'

local problems = schema.problems

local function flow(steps)
  return { name = "Month end", steps = steps }
end

describe("FlowStepInput", function()
  it("fills every default", function()
    assert.equal('{"type":"Integration","referrer":"' .. A .. '","dependsOn":[],"isSkipped":false,"exceptionBehavior":'
      .. DEFAULT_BEHAVIOR .. '}', core.encode("FlowStepInput", { referrer = A }))
  end)

  it("keeps the given behaviour and dependencies", function()
    assert.same({
      type = "Integration", referrer = B, dependsOn = { A }, isSkipped = true,
      exceptionBehavior = { { type = "failure", strategy = "continue" } },
    }, core.validate("FlowStepInput", {
      referrer = B:upper(), depends_on = { A }, is_skipped = true,
      exception_behavior = { { type = "failure", strategy = "continue" } },
    }))
  end)

  it("takes each exception type once", function()
    assert.same({ "body.FlowStepInput.exceptionBehavior.2.type Duplicate of item 1's type" },
      problems("FlowStepInput", {
        referrer = A,
        exception_behavior = { { type = "failure", strategy = "stop" }, { type = "failure", strategy = "continue" } },
      }))
  end)

  it("rejects a step type other than Integration", function()
    assert.same({ "body.FlowStepInput.type Input should be 'Integration', not 'Process'" },
      problems("FlowStepInput", { type = "Process", referrer = A }))
  end)
end)

describe("ExceptionBehavior", function()
  it("sends the type and the strategy", function()
    assert.equal('{"type":"partial_success","strategy":"stop"}',
      core.encode("ExceptionBehavior", { type = "partial_success", strategy = "stop" }))
  end)

  it("rejects an unknown strategy", function()
    assert.same({ "body.ExceptionBehavior.strategy Input should be one of 'stop', 'continue', not 'retry'" },
      problems("ExceptionBehavior", { type = "failure", strategy = "retry" }))
  end)
end)

describe("FlowInput", function()
  it("sends a flow with its defaults", function()
    assert.equal('{"name":"Month end","version":"2.0","type":"IntegrationFlow","steps":['
      .. '{"type":"Integration","referrer":"' .. A .. '","dependsOn":[],"isSkipped":false,"exceptionBehavior":'
      .. DEFAULT_BEHAVIOR .. '},'
      .. '{"type":"Integration","referrer":"' .. B .. '","dependsOn":["' .. A .. '"],"isSkipped":false,'
      .. '"exceptionBehavior":' .. DEFAULT_BEHAVIOR .. '}]}',
      core.encode("FlowInput", flow({ { referrer = A }, { referrer = B, depends_on = { A } } })))
  end)

  it("takes two to a hundred steps", function()
    assert.same({ "body.FlowInput.steps Array should have at least 2 items, not 1" },
      problems("FlowInput", flow({ { referrer = A } })))
    local steps = {}
    for i = 1, 101 do
      steps[i] = { referrer = string.format("%032x", i), depends_on = i > 1 and { string.format("%032x", i - 1) } or nil }
    end
    assert.same({ "body.FlowInput.steps Array should have at most 100 items, not 101" },
      problems("FlowInput", flow(steps)))
    steps[101] = nil
    assert.equal(100, #core.validate("FlowInput", flow(steps)).steps)
  end)

  it("requires the first step to depend on nothing", function()
    -- When every step depends on another, the dependencies must loop too.
    assert.same({
      "body.FlowInput.steps.1.dependsOn Array should be empty: the first step runs first, so it depends on no other step",
      "body.FlowInput.steps Steps depend on each other in a cycle: step 1 -> step 2 -> step 1",
    }, problems("FlowInput", flow({ { referrer = A, depends_on = { B } }, { referrer = B, depends_on = { A } } })))
  end)

  it("requires every later step to depend on a step", function()
    assert.same({
      "body.FlowInput.steps.3.dependsOn Array should name at least one step: every step after the first depends on another step of the flow",
    }, problems("FlowInput", flow({ { referrer = A }, { referrer = B, depends_on = { A } }, { referrer = C } })))
  end)

  it("requires dependencies to name steps of the flow", function()
    assert.same({
      "body.FlowInput.steps.2.dependsOn.2 Input should be the referrer of another step of this flow, not '" .. D .. "'",
    }, problems("FlowInput", flow({ { referrer = A }, { referrer = B, depends_on = { A, D } } })))
  end)

  it("rejects a step that depends on itself", function()
    assert.same({ "body.FlowInput.steps.2.dependsOn.1 A step should not depend on itself" },
      problems("FlowInput", flow({ { referrer = A }, { referrer = B, depends_on = { B } } })))
  end)

  it("rejects two steps of one integration", function()
    assert.same({
      "body.FlowInput.steps.3.referrer Duplicate of step 2's referrer; a flow runs an integration in one step only",
    }, problems("FlowInput", flow({
      { referrer = A }, { referrer = B, depends_on = { A } }, { referrer = B, depends_on = { A } },
    })))
  end)

  it("rejects steps that depend on each other in a cycle", function()
    assert.same({ "body.FlowInput.steps Steps depend on each other in a cycle: step 2 -> step 4 -> step 3 -> step 2" },
      problems("FlowInput", flow({
        { referrer = A },
        { referrer = B, depends_on = { A, D } },
        { referrer = C, depends_on = { B } },
        { referrer = D, depends_on = { C } },
      })))
  end)

  it("accepts steps that fan out and join", function()
    local out = core.validate("FlowInput", flow({
      { referrer = A },
      { referrer = B, depends_on = { A } },
      { referrer = C, depends_on = { A } },
      { referrer = D, depends_on = { B, C } },
    }))
    assert.same({ B, C }, out.steps[4].dependsOn)
  end)

  it("accepts a step that depends on a later one without a cycle", function()
    local out = core.validate("FlowInput", flow({
      { referrer = A }, { referrer = B, depends_on = { C } }, { referrer = C, depends_on = { A } },
    }))
    assert.equal(3, #out.steps)
  end)

  it("checks dependencies even when another step is invalid", function()
    assert.same({
      "body.FlowInput.steps.2.referrer Input should be an id of 32 hexadecimal characters, not 'second'",
      "body.FlowInput.steps.3.dependsOn.1 Input should be the referrer of another step of this flow, not '" .. D .. "'",
    }, problems("FlowInput", flow({
      { referrer = A }, { referrer = "second", depends_on = { A } }, { referrer = C, depends_on = { D } },
    })))
  end)

  it("rejects another flow type or version", function()
    assert.same({
      "body.FlowInput.version Input should be '2.0', not '1.0'",
      "body.FlowInput.type Input should be 'IntegrationFlow', not 'Flow'",
    }, problems("FlowInput", {
      name = "x", version = "1.0", type = "Flow", steps = { { referrer = A }, { referrer = B, depends_on = { A } } },
    }))
  end)
end)

describe("FlowRunInput", function()
  it("sends an empty object to run every step", function()
    assert.equal("{}", core.encode("FlowRunInput", {}))
  end)

  it("sends the steps to run", function()
    assert.equal('{"stepsToRun":["' .. A .. '","' .. B .. '"]}',
      core.encode("FlowRunInput", { steps_to_run = { A, B:upper() } }))
  end)

  it("rejects an empty or repeating step list", function()
    assert.same({ "body.FlowRunInput.stepsToRun Array should have at least 1 item, not 0" },
      problems("FlowRunInput", { steps_to_run = {} }))
    assert.same({ "body.FlowRunInput.stepsToRun.2 Duplicate of item 1" },
      problems("FlowRunInput", { steps_to_run = { A, A } }))
  end)
end)
