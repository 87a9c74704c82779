-- The emulator's blocking HTTP client and its loop helper.
local uv = require("luv")
local client = require("anaplan.emulator.client")

describe("emulator client run_until", function()
  it("waits its full time after a long pause", function()
    -- Leave the loop idle long enough for its cached clock to go stale.
    uv.run("nowait")
    os.execute("sleep 1.2")

    -- uv.hrtime reads the real clock, not the loop's cached one.
    local started = uv.hrtime()
    local finished = client.run_until(function()
      return uv.hrtime() - started > 0.3e9
    end, 1.0)
    assert.is_true(finished)
  end)
end)
