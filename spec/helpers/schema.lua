-- Checks shared by the validation specs (spec/unit/models_*_spec.lua and
-- schema_engine_spec.lua): they call core.validate on an input that must be
-- rejected and compare the problems it lists.
--
-- This module runs with the global environment, not a spec file's, so it
-- takes busted's assert from luassert itself.
local luassert = require("luassert")
local core = require("anaplan.core")

local schema = {}

-- Returns the validation error raised by validate(model, input); fails the
-- test when validate returns or raises an error of another kind.
function schema.failure(model, input)
  local ok, err = pcall(core.validate, model, input)
  luassert.is_false(ok, "expected a validation error")
  luassert.equal("validation", err.kind)
  return err
end

-- Returns the problems of validate(model, input) as "loc msg" lines, in the
-- order the validator reported them.
function schema.problems(model, input)
  local lines = {}
  for i, problem in ipairs(schema.failure(model, input).errors) do
    lines[i] = problem.loc .. " " .. problem.msg
  end
  return lines
end

return schema
