-- Hooks that share one emulator child process between the tests of a
-- describe block: a spec file pays for one start, and every test still
-- begins with an emulator that stores nothing.
--
-- This module runs with the global environment, not a spec file's, so it
-- registers its hooks through busted's API table.
local busted = require("busted")

local emulator_hooks = {}

-- Registers three hooks in the describe block being defined. setup starts
-- an emulator with options (given to anaplan.emulator.start unchanged) and
-- passes it to use(emulator), so the spec can keep it in a local. before_each
-- calls reset(emulator), or emulator:reset() when reset is nil, and teardown
-- stops the emulator. The block's own hooks, registered after this call,
-- run after these.
function emulator_hooks.share(options, use, reset)
  local emulator

  busted.setup(function()
    emulator = require("anaplan.emulator").start(options)
    use(emulator)
  end)

  busted.teardown(function()
    -- setup may have failed before the emulator started.
    if emulator then
      emulator:stop()
    end
  end)

  busted.before_each(function()
    if reset then
      reset(emulator)
    else
      emulator:reset()
    end
  end)
end

return emulator_hooks
