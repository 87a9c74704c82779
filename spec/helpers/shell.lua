-- Shell commands and file reads for the specs that make throwaway keys and
-- certificates with the openssl command-line tool.
--
-- This module runs with the global environment, not a spec file's, so it
-- takes busted's assert from luassert itself: a failed command then fails
-- the test like an assert written in the spec.
local luassert = require("luassert")

local shell = {}

-- Runs a shell command with its output discarded. Fails the test, naming
-- the command, when it exits with an error.
function shell.run(command)
  luassert(os.execute(command .. " >/dev/null 2>&1"), "command failed: " .. command)
end

-- Returns the content of the file at path, read in binary mode. Fails the
-- test when the file cannot be opened.
function shell.read_file(path)
  local file = luassert(io.open(path, "rb"))
  local data = file:read("a")
  file:close()
  return data
end

return shell
