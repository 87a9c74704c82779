-- core.check_id: identifiers are checked before they go into a URL path or
-- a body, so no user string can change the shape of a request.
local core = require("anaplan.core")

local HEX = "8a868cda860a533a0186334e91805794"

-- Returns the error raised by check_id(value, kind, what).
local function failure(value, kind, what)
  local ok, err = pcall(core.check_id, value, kind, what)
  assert.is_false(ok, "expected check_id to fail")
  return err
end

describe("check_id hex32", function()
  it("returns a lowercase id unchanged", function()
    assert.equal(HEX, core.check_id(HEX, "hex32", "integration_id"))
  end)

  it("lowercases an uppercase id", function()
    assert.equal(HEX, core.check_id(HEX:upper(), "hex32", "integration_id"))
  end)

  it("rejects ids of the wrong length", function()
    for _, value in ipairs({ HEX:sub(2), HEX .. "0", "" }) do
      local err = failure(value, "hex32", "integration_id")
      assert.equal("validation", err.kind)
      assert.equal("integration_id", err.errors[1].loc)
    end
  end)

  it("rejects characters that could change a URL", function()
    for _, bad in ipairs({ "/", "?", "#", "%", ".", " ", "\n", "&", "=", "g", "\0" }) do
      local value = HEX:sub(1, 31) .. bad
      local err = failure(value, "hex32", "integration_id")
      assert.equal("validation", err.kind)
    end
  end)

  it("names the argument and shows the bad value", function()
    local err = failure("../runs", "hex32", "integration_id")
    assert.equal("integration_id Input should be an id of 32 hexadecimal characters, not '../runs'", err.message)
    assert.same({ { loc = "integration_id", msg = "Input should be an id of 32 hexadecimal characters, not '../runs'" } },
      err.errors)
  end)

  it("shows at most 64 bytes of a bad value", function()
    local err = failure(("z"):rep(5000), "hex32", "flow_id")
    assert.equal("flow_id Input should be an id of 32 hexadecimal characters, not '" .. ("z"):rep(64) .. "...'",
      err.message)
  end)

  it("rejects values that are not strings", function()
    assert.equal("run_id Input should be an id of 32 hexadecimal characters, not 12",
      failure(12, "hex32", "run_id").message)
    assert.equal("run_id Input should be an id of 32 hexadecimal characters, not a table",
      failure({}, "hex32", "run_id").message)
    assert.equal("run_id Input should be an id of 32 hexadecimal characters, not a boolean",
      failure(true, "hex32", "run_id").message)
  end)

  it("calls the value id when what is not given", function()
    assert.equal("id Input should be an id of 32 hexadecimal characters, not 'x'", failure("x", "hex32").message)
  end)
end)

describe("check_id model", function()
  it("upper-cases a model id", function()
    assert.equal(HEX:upper(), core.check_id(HEX, "model", "model_id"))
  end)

  it("rejects a model id that is not hexadecimal", function()
    local err = failure("E559BFF3B1GD4RKE874P745BEL259711", "model", "model_id")
    assert.equal("model_id Input should be a model id of 32 hexadecimal characters, not 'E559BFF3B1GD4RKE874P745BEL259711'",
      err.message)
  end)
end)

describe("check_id numeric", function()
  it("turns an integer into a string", function()
    assert.equal("118000000012", core.check_id(118000000012, "numeric", "action_id"))
  end)

  it("turns an integral float into a string", function()
    assert.equal("118000000012", core.check_id(118000000012.0, "numeric", "action_id"))
  end)

  it("keeps a string of digits as given", function()
    assert.equal("00118", core.check_id("00118", "numeric", "action_id"))
    assert.equal(("9"):rep(20), core.check_id(("9"):rep(20), "numeric", "action_id"))
  end)

  it("rejects what is not a non-negative integer or up to 20 digits", function()
    for _, value in ipairs({ -1, 1.5, 0 / 0, math.huge, 2 ^ 60, "", ("1"):rep(21), "12a", "-5", "1/2", " 1", {}, true }) do
      local err = failure(value, "numeric", "action_id")
      assert.equal("validation", err.kind)
      assert.truthy(err.message:find("^action_id Input should be a numeric id: a non%-negative integer or a string of 1 to 20 digits"))
    end
  end)
end)

describe("check_id kinds", function()
  it("raises a usage error for an unknown kind", function()
    local err = failure(HEX, "uuid", "integration_id")
    assert.equal("usage", err.kind)
    assert.equal("unknown id kind 'uuid' for integration_id: expected 'hex32', 'model' or 'numeric'", err.message)
  end)
end)
