-- Checks and hooks shared by the specs that drive the C core's session
-- directly (spec/transport).
--
-- This module runs with the global environment, not a spec file's, so it
-- takes busted's assert from luassert and registers hooks through busted's
-- API table.
local busted = require("busted")
local luassert = require("luassert")
local core = require("anaplan.core")
local fixture_server = require("transport.fixture_server")

local transport = {}

-- Returns the error object that fn(...) raises; fails the test when fn
-- returns, or raises something that is not a core error object.
function transport.catch(fn, ...)
  local ok, err = pcall(fn, ...)
  luassert.is_false(ok, "expected an error")
  luassert.is_true(core.is_error(err), "expected an error object, got " .. tostring(err))
  return err
end

-- Registers hooks in the describe block being defined that share one
-- fixture server (transport/fixture_server.lua) between its tests: setup
-- starts it and passes it to use(fixture), and teardown stops it.
function transport.share_fixture_server(use)
  local fixture

  busted.setup(function()
    fixture = fixture_server.start()
    use(fixture)
  end)

  busted.teardown(function()
    -- setup may have failed before the server started.
    if fixture then
      fixture.stop()
    end
  end)
end

return transport
