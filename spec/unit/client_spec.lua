-- The Lua client's argument handling: everything here is refused before
-- any request, so the client points at a closed loopback port.
local anaplan = require("anaplan")

local ID = "0123456789abcdef0123456789abcdef"

local function new_client()
  return anaplan.Client {
    user_email = "dev@example.com", password = "dev", retry_count = 0,
    auth_url = "http://127.0.0.1:9", cloudworks_url = "http://127.0.0.1:9/2/0",
  }
end

local function error_of(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok)
  assert.is_true(anaplan.errors.is(err), "expected an SDK error object, got " .. tostring(err))
  return err
end

describe("client methods", function()
  local client, cw

  before_each(function()
    client = new_client()
    cw = client.cw
  end)

  after_each(function()
    client:close()
  end)

  it("rejects a call made with a dot", function()
    local err = error_of(cw.list_connections)
    assert.are.equal("usage", err.kind)
    assert.are.equal("call list_connections as cw:list_connections(...), with a colon", err.message)
  end)

  it("rejects a flow call made with a dot", function()
    local err = error_of(cw.flows.run_flow, ID)
    assert.are.equal("usage", err.kind)
    assert.are.equal("call run_flow as cw.flows:run_flow(...), with a colon", err.message)
  end)

  it("rejects extra arguments", function()
    local err = error_of(cw.get_integration, cw, ID, "extra")
    assert.are.equal("usage", err.kind)
    assert.are.equal("get_integration takes 1 argument(s), got 2", err.message)
  end)

  it("names a missing id", function()
    local err = error_of(cw.get_integration, cw)
    assert.are.equal("validation", err.kind)
    assert.are.equal("integration_id Input should be an id of 32 hexadecimal characters, but it is missing",
      err.message)
  end)

  it("rejects an unknown option with the accepted ones", function()
    local err = error_of(cw.wait_for_run, cw, ID, { intervl = 1 })
    assert.are.equal("validation", err.kind)
    assert.are.equal("wait_for_run: unknown option 'intervl' (accepted: interval, on_progress, timeout)",
      err.message)
  end)

  it("rejects an option of the wrong type", function()
    local err = error_of(cw.list_integrations, cw, { descending = "yes" })
    assert.are.equal("list_integrations: option 'descending' should be a boolean, got string", err.message)
  end)

  it("rejects a sort other than by name", function()
    local err = error_of(cw.list_integrations, cw, { sort_by = "date" })
    assert.are.equal("validation", err.kind)
    assert.truthy(err.message:find("sort_by should be 'name'", 1, true))
  end)

  it("rejects descending without sort_by", function()
    local err = error_of(cw.list_integrations, cw, { descending = true })
    assert.are.equal("list_integrations: descending needs sort_by = 'name'", err.message)
  end)

  it("needs a notification selector", function()
    local err = error_of(cw.get_notification_config, cw, {})
    assert.are.equal("get_notification_config: notification_id or integration_id is required", err.message)
  end)

  it("rejects both notification selectors at once", function()
    local err = error_of(cw.delete_notification_config, cw, { notification_id = ID, integration_id = ID })
    assert.are.equal("delete_notification_config: give notification_id or integration_id, not both", err.message)
  end)

  it("rejects a wait interval out of range", function()
    local err = error_of(cw.wait_for_run, cw, ID, { interval = 0 })
    assert.are.equal("wait_for_run: interval should be between 0 and 3600 seconds", err.message)
  end)

  it("checks only_steps ids before a flow run", function()
    local err = error_of(cw.flows.run_flow, cw.flows, ID, { only_steps = { "x" } })
    assert.are.equal("validation", err.kind)
    assert.truthy(err.message:find("stepsToRun.1", 1, true))
  end)
end)

describe("anaplan.errors.is", function()
  it("tells SDK errors by kind", function()
    local err = error_of(new_client().cw.get_integration, new_client().cw, "bad")
    assert.is_true(anaplan.errors.is(err))
    assert.is_true(anaplan.errors.is(err, "validation"))
    assert.is_false(anaplan.errors.is(err, "http"))
  end)

  it("is false for plain values", function()
    assert.is_false(anaplan.errors.is("validation"))
    assert.is_false(anaplan.errors.is({ kind = "validation", message = "looks alike" }))
    assert.is_false(anaplan.errors.is(nil))
  end)
end)
