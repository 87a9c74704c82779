-- The embedding host (spec/host/threads.c): builds it with gcc against the
-- core.so under test and runs the quickstart flow in two threads at once.
--
-- The build under test is the one busted's cpath finds. When that build was
-- configured with -DANAPLAN_SANITIZE=ON, the host is built with ASan and
-- UBSan too. ANAPLAN_HOST_WRAPPER, when set, is put in front of the host's
-- command line (scripts/valgrind.sh sets it to run the host under memcheck).
local shell = require("helpers.shell")

local shell_quote, run = shell.quote, shell.capture

local function read_file(path)
  local file = io.open(path, "r")
  if not file then
    return nil
  end
  local text = file:read("a")
  file:close()
  return text
end

-- Returns the absolute folder of the build that require("anaplan.core")
-- loads, from busted's cpath.
local function build_under_test(root)
  local core = package.searchpath("anaplan.core", package.cpath)
  assert(core, "anaplan/core.so is not on package.cpath (" .. package.cpath .. "); build it first")
  local folder = core:match("^(.*)/anaplan/core%.so$")
  assert(folder, "cannot tell the build folder from " .. core)
  if folder:sub(1, 1) ~= "/" then
    folder = root .. "/" .. folder
  end
  return folder
end

local function sanitized(build_dir)
  local cache = read_file(build_dir .. "/CMakeCache.txt") or ""
  return cache:find("ANAPLAN_SANITIZE:BOOL=ON", 1, true) ~= nil
end

describe("embedding host", function()
  local root, build_dir, work_dir, host

  setup(function()
    local _, cwd = run("pwd")
    root = cwd:gsub("%s+$", "")
    build_dir = build_under_test(root)
    local _, made = run("mktemp -d")
    work_dir = made:gsub("%s+$", "")
    host = work_dir .. "/threads"

    local flags = "-std=c11 -Wall -Wextra -Wpedantic -Werror -O1 -g"
    if sanitized(build_dir) then
      flags = flags .. " -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
    end
    local code, output = run(string.format("gcc %s %s -o %s $(pkg-config --cflags --libs lua5.4) -pthread",
      flags, shell_quote(root .. "/spec/host/threads.c"), shell_quote(host)))
    assert(code == 0, "building spec/host/threads.c failed:\n" .. output)
  end)

  teardown(function()
    if work_dir and work_dir:match("^/tmp/") then
      run("rm -rf " .. shell_quote(work_dir))
    end
  end)

  local function run_host(flow_file)
    local wrapper = os.getenv("ANAPLAN_HOST_WRAPPER") or ""
    return run(string.format("%s %s %s %s %s", wrapper, shell_quote(host), shell_quote(root),
      shell_quote(build_dir), shell_quote(flow_file)))
  end

  it("runs the quickstart flow in two threads at once", function()
    local code, output = run_host(root .. "/spec/host/flow.lua")

    assert.are.equal(0, code, "the host failed:\n" .. output)
    assert.truthy(output:find("thread-1: ok", 1, true), output)
    assert.truthy(output:find("thread-2: ok", 1, true), output)
  end)

  it("exits non-zero when a thread's flow raises", function()
    local flow = work_dir .. "/failing_flow.lua"
    local file = assert(io.open(flow, "w"))
    file:write('local name = ...\nif name == "thread-2" then error("planned failure in " .. name) end\n')
    file:close()

    local code, output = run_host(flow)

    assert.are.equal(1, code, output)
    assert.truthy(output:find("thread-1: ok", 1, true), output)
    assert.truthy(output:find("thread%-2: failed: .*planned failure in thread%-2"), output)
  end)
end)
