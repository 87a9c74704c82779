-- Checks shared by the specs that drive the C core's session directly
-- (spec/transport).
--
-- This module runs with the global environment, not a spec file's, so it
-- takes busted's assert from luassert itself.
local luassert = require("luassert")
local core = require("anaplan.core")

local transport = {}

-- Returns the error object that fn(...) raises; fails the test when fn
-- returns, or raises something that is not a core error object.
function transport.catch(fn, ...)
  local ok, err = pcall(fn, ...)
  luassert.is_false(ok, "expected an error")
  luassert.is_true(core.is_error(err), "expected an error object, got " .. tostring(err))
  return err
end

return transport
