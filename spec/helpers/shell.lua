-- Shell commands and file reads for the specs that make throwaway keys and
-- certificates with the openssl command-line tool, or build C hosts with gcc.
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

-- Quotes text as one word for /bin/sh.
function shell.quote(text)
  return "'" .. text:gsub("'", "'\\''") .. "'"
end

-- Runs a shell command and returns its exit code and its output (stdout and
-- stderr together). LD_PRELOAD is removed, because the sanitizer pass
-- preloads ASan into busted, and neither gcc nor a host built with its own
-- ASan runtime may inherit it.
function shell.capture(command)
  local pipe = luassert(io.popen("env -u LD_PRELOAD " .. command .. " 2>&1", "r"))
  local output = pipe:read("a")
  local _, _, code = pipe:close()
  return code, output
end

return shell
