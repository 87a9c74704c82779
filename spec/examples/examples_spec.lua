-- Runs every script in examples/ as a user would, in a child lua5.4 with no
-- ANAPLAN_* variables, so each one starts and stops its own emulator.
-- Run from the repository root after the build (busted's usual directory).

local EXAMPLES_DIR = "examples"

-- Lines each example must print, as Lua patterns, plus how many times a
-- pattern must match when once is not enough. A new example needs an entry
-- here, or the "has expected output lines" spec fails.
local HEX32 = string.rep("%x", 32)
local expectations = {
  ["quickstart.lua"] = {
    { "^Started a local CloudWorks emulator at http://127%.0%.0%.1:%d+$" },
    { "^connection id: " .. HEX32 .. "$", count = 2 },
    { "^integration id: " .. HEX32 .. "$", count = 4 },
    { "body%.AzureBlobConnectionInput%.storageAccountName Field required" },
    { "^run ended: success=true" },
    { "^deleted integration " .. HEX32 .. "$", count = 4 },
    { "^deleted connection " .. HEX32 .. "$", count = 2 },
    { "^Done%.$" },
  },
  ["schedule_integration.lua"] = {
    { "^  weekly sales load: type=weekly time=06:30 days=1,4 from %d%d%d%d%-%d%d%-%d%d until %d%d%d%d%-%d%d%-%d%d %(Europe/Paris%), status=Active$" },
    { "^  weekly sales load: .*status=Inactive$" },
    { "^  daily sales load: type=daily time=22:00 days=%- .* until no end date %(Europe/Paris%), status=Active$" },
    { "^  no schedule$" },
    { "^deleted integration " .. HEX32 .. "$" },
    { "^Done%.$" },
  },
  ["watch_run.lua"] = {
    { "^  poll 1: running since %d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ$" },
    { "^  poll %d+: ended at %d%d%d%d%-%d%d%-%d%dT" },
    { "^run ended after %d+ polls: success=true, message=" },
    { "^1 run%(s%)$" },
    { "^  " .. HEX32 .. "  manual  success=true  .* ended %d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d UTC$" },
    { "^Done%.$" },
  },
  ["failed_run.lua"] = {
    { "^no error records$" },
    { "^import error dump: HTTP 404 " },
    { "^run " .. HEX32 .. " ended: success=true, message=Success, executionErrorCode=none$" },
    { "^run " .. HEX32 .. " ended: success=false, message=.*, executionErrorCode=%d+$", count = 2 },
    { "^  %(%d+ lines in all%)$", count = 2 },
    { "^  action 112000000001 %(.*%): failure dump generated$" },
    { "^Done%.$" },
  },
  ["notifications.lua"] = {
    { "^  notification id: " .. HEX32 .. "$", count = 3 },
    { "^  channels: email, in_app$" },
    { "^  on full_failure: .*8a868cd97d6b21ad017d7a3f5d0a0001.*8a868cd97d6b21ad017d7a3f5d0a0002" },
    { "^  on partial_failure: [^,]*8a868cd97d6b21ad017d7a3f5d0a0001[^,]*$" },
    { "^reading it again: HTTP 404 " },
    { "^  on success: [^,]*8a868cd97d6b21ad017d7a3f5d0a0001[^,]*$" },
    { "^HTTP 400 %(Duplicate resource name not allowed%)$" },
    { "^deleted notification configuration " .. HEX32 .. "$", count = 2 },
    { "^Done%.$" },
  },
  ["flow.lua"] = {
    { "^  body%.FlowInput%.steps%.3%.dependsOn " },
    { "^  the emulator received no flow request$" },
    { "^flow id: " .. HEX32 .. "$" },
    { "^  step 3: flow%-example%-export %(Export%), depends on " .. HEX32 .. "$" },
    { "^flow run ended: success=true", count = 2 },
    { "^  " .. HEX32 .. " has run 1 time%(s%)$", count = 2 },
    { "^  " .. HEX32 .. " has run 2 time%(s%)$", count = 1 },
    { "^  " .. HEX32 .. "  flow%-example  3 step%(s%)$" },
    { "^deleted flow " .. HEX32 .. "$" },
    { "^Done%.$" },
  },
}

-- Values the examples pass as secrets. None may appear in their output.
local SECRETS = { "sig=example", "never-sent" }

-- Single-quotes a string for sh.
local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- Returns the names of the ANAPLAN_* variables in this process's
-- environment, which would point an example at the live API.
local function anaplan_variables()
  local names = {}
  local env = assert(io.popen("env"))
  for line in env:lines() do
    local name = line:match("^(ANAPLAN_[%w_]*)=")
    if name then
      names[#names + 1] = name
    end
  end
  env:close()
  return names
end

-- Runs a Lua script as the examples run and returns its exit code, its
-- stdout and its stderr.
local function run_script(path)
  local unset = {}
  for _, variable in ipairs(anaplan_variables()) do
    unset[#unset + 1] = "-u " .. variable
  end
  local stderr_path = os.tmpname()
  -- The example loads the same module as this spec run (busted's --cpath
  -- may name a sanitizer build), through support.lua's respect for LUA_CPATH.
  local command = string.format("env %s LUA_PATH=%s LUA_CPATH=%s lua5.4 %s 2>%s", table.concat(unset, " "),
    shell_quote(package.path), shell_quote(package.cpath),
    shell_quote(path), shell_quote(stderr_path))
  local child = assert(io.popen(command))
  local stdout = child:read("a")
  local _, ended_by, code = child:close()
  local stderr_file = assert(io.open(stderr_path))
  local stderr = stderr_file:read("a")
  stderr_file:close()
  os.remove(stderr_path)
  if ended_by ~= "exit" then
    code = -1
  end
  return code, stdout, stderr
end

local function run_example(name)
  return run_script(EXAMPLES_DIR .. "/" .. name)
end

-- Counts the lines of text that match a Lua pattern.
local function count_matches(text, pattern)
  local n = 0
  for line in text:gmatch("[^\n]*") do
    if line:find(pattern) then
      n = n + 1
    end
  end
  return n
end

local function list_examples()
  local names = {}
  local listing = assert(io.popen("ls " .. EXAMPLES_DIR))
  for name in listing:lines() do
    if name:match("%.lua$") and name ~= "support.lua" then
      names[#names + 1] = name
    end
  end
  listing:close()
  table.sort(names)
  return names
end

describe("examples", function()
  local names = list_examples()

  it("cover every task", function()
    for _, expected in ipairs { "quickstart.lua", "schedule_integration.lua", "watch_run.lua",
      "failed_run.lua", "notifications.lua", "flow.lua" } do
      local found = false
      for _, name in ipairs(names) do
        found = found or name == expected
      end
      assert.is_true(found, "examples/" .. expected .. " is missing")
    end
  end)

  for _, name in ipairs(names) do
    describe(name, function()
      it("has expected output lines", function()
        assert.is_table(expectations[name], "add the key output lines of " .. name .. " to this spec")
      end)

      it("exits 0 on its own emulator", function()
        local code, stdout, stderr = run_example(name)
        assert.are.equal(0, code, name .. " exited with " .. tostring(code) .. "; stderr:\n" .. stderr
          .. "\nstdout:\n" .. stdout)
        assert.are.equal("", stderr, name .. " wrote to stderr")
        assert.is_truthy(stdout:find("Started a local CloudWorks emulator at http://127.0.0.1:", 1, true),
          name .. " did not start its own emulator")

        for _, expectation in ipairs(expectations[name] or {}) do
          local pattern, count = expectation[1], expectation.count
          local found = count_matches(stdout, pattern)
          if count then
            assert.are.equal(count, found, string.format("lines matching %q in the output of %s:\n%s",
              pattern, name, stdout))
          else
            assert.is_true(found >= 1, string.format("no line matches %q in the output of %s:\n%s",
              pattern, name, stdout))
          end
        end

        for _, secret in ipairs(SECRETS) do
          assert.is_falsy(stdout:find(secret, 1, true), name .. " printed the secret " .. secret)
        end
      end)
    end)
  end
end)

-- Writes `source` to a temporary Lua file, runs it as the examples run and
-- returns its exit code, stdout and stderr.
local function run_source(source)
  local path = os.tmpname()
  local file = assert(io.open(path, "w"))
  file:write(source)
  file:close()
  local code, stdout, stderr = run_script(path)
  os.remove(path)
  return code, stdout, stderr
end

-- The start of a script that uses support.lua as the examples do, on an
-- emulator of its own.
local SCRIPT_HEAD = [[
local support = dofile("examples/support.lua")
local client, close = support.connect()
local cw = client.cw
local created = support.tracker(cw)
]]

-- Well formed, but no connection has this id, so its delete fails.
local UNKNOWN_ID = "0123456789abcdef0123456789abcdef"

describe("support.lua", function()
  it("cleans up after a failed step and exits 1", function()
    local code, stdout, stderr = run_source(SCRIPT_HEAD .. [[
support.run_and_clean_up(function()
  support.create_blob_import(cw, created, "spec-failing")
  created:add("connection", "]] .. UNKNOWN_ID .. [[")
  error("step failed on purpose", 0)
end, created, close)
]])
    assert.are.equal(1, code, "stdout:\n" .. stdout .. "\nstderr:\n" .. stderr)
    assert.matches("failed: step failed on purpose", stderr, 1, true)
    assert.matches("failed to delete connection " .. UNKNOWN_ID, stderr, 1, true)
    -- The real connection was recorded before the unknown one, so it is
    -- deleted after that delete failed.
    assert.are.equal(1, count_matches(stdout, "^deleted integration " .. HEX32 .. "$"))
    assert.are.equal(1, count_matches(stdout, "^deleted connection " .. HEX32 .. "$"))
    assert.are.equal(0, count_matches(stdout, "^Done%.$"))
  end)

  it("exits 1 when only a delete fails", function()
    local code, stdout, stderr = run_source(SCRIPT_HEAD .. [[
support.run_and_clean_up(function()
  created:add("connection", "]] .. UNKNOWN_ID .. [[")
end, created, close)
]])
    assert.are.equal(1, code, "stdout:\n" .. stdout .. "\nstderr:\n" .. stderr)
    assert.matches("failed to delete connection " .. UNKNOWN_ID, stderr, 1, true)
    for line in stderr:gmatch("[^\n]+") do
      assert.matches("^failed to delete ", line, nil, false, "no step failed, yet stderr reports one:\n" .. stderr)
    end
    assert.are.equal(0, count_matches(stdout, "^Done%.$"))
  end)

  it("cancels a run in flight before deleting", function()
    local code, stdout, stderr = run_source(SCRIPT_HEAD .. [[
support.run_and_clean_up(function()
  local _, integration_id = support.create_blob_import(cw, created, "spec-running")
  cw:run_integration(integration_id)
  created:set_running(integration_id)
  error("step failed while the run was in flight", 0)
end, created, close)
]])
    assert.are.equal(1, code, "stdout:\n" .. stdout .. "\nstderr:\n" .. stderr)
    assert.are.equal(1, count_matches(stdout, "^cancelled the run of " .. HEX32 .. "$"))
    assert.are.equal(1, count_matches(stdout, "^deleted integration " .. HEX32 .. "$"))
    assert.are.equal(1, count_matches(stdout, "^deleted connection " .. HEX32 .. "$"))
    assert.is_falsy(stderr:find("failed to delete", 1, true), "a delete failed:\n" .. stderr)
  end)

  it("rejects an unknown kind in tracker:add", function()
    local code, _, stderr = run_source(SCRIPT_HEAD .. [[
local ok, err = pcall(created.add, created, "schedule", "]] .. UNKNOWN_ID .. [[")
close()
io.stderr:write(tostring(err))
os.exit(ok and 0 or 3)
]])
    assert.are.equal(3, code)
    assert.matches("kind must be connection, integration or flow, not schedule", stderr, 1, true)
  end)
end)
