-- Run by alloc_host (see alloc_host.c), not by busted. Runs one scenario
-- once for every allocation point it passes, with that allocation failing.
-- After each run it checks that the error raised is a memory error or an
-- error object, and that the session still works or is cleanly closed.
-- LeakSanitizer in the host reports anything malloc'd that a raised error
-- left behind.
--
-- Arguments: the package.cpath that finds anaplan.core, the base URL of
-- the fixture server, a certificate path, its key path, the scenario name.
local core_cpath, base_url, certificate_path, key_path, scenario_name = ...
package.cpath = core_cpath .. ";" .. package.cpath
local core = require("anaplan.core")

-- lua_close would unload core.so before LeakSanitizer looks, and a leak
-- report could then not name the core's functions.
setmetatable(debug.getregistry()._CLIBS, nil)

local MAX_POINTS = 50000

local logged = 0

-- Raises on every other line, so both the normal and the failing path of
-- the logger call meet the injected failures.
local function logger()
  logged = logged + 1
  if logged % 2 == 0 then
    error("logger failure")
  end
end

local function new_session(changes)
  local options = { user_email = "dev@example.com", password = "alloc-spec-password", auth_url = base_url,
    cloudworks_url = base_url .. "/2/0", backoff = 0, retry_count = 1, timeout = 10, log_level = "debug",
    logger = logger }
  for key, value in pairs(changes or {}) do
    options[key] = value
  end
  if options.token or options.certificate then
    options.user_email, options.password = nil, nil
  end
  return core.session(options)
end

local function logged_in_session(changes)
  local session = new_session(changes)
  session:request("GET", "/numbers")
  return session
end

local function certificate_session()
  return new_session({ certificate = certificate_path, private_key = key_path })
end

-- Checks that session returns the right value for a call, then closes it
-- twice.
local function check_usable(session)
  local numbers = session:request("GET", "/numbers")
  assert(numbers.small == 3, "the session returned a wrong answer after the failure")
  session:close()
  session:close()
  assert(tostring(session) == "anaplan.Session (closed)")
end

local function check_closed(session)
  assert(tostring(session) == "anaplan.Session (closed)", "close left the session open: " .. tostring(session))
  session:close()
end

local function expect_success(ok, err)
  assert(ok, "the call failed without an injected failure: " .. tostring(err))
end

local function expect_kind(kind)
  return function(ok, err)
    assert(not ok, "the call was expected to raise " .. kind)
    assert(core.is_error(err) and err.kind == kind, "expected a " .. kind .. " error, got " .. tostring(err))
  end
end

-- Each scenario has four functions. prepare() builds the state with no
-- failure injected, and run(state) is the step under test. expect(ok,
-- result) checks the run that met no failure, and after(state, ok, result)
-- checks every run.
local scenarios = {
  first_call = {
    prepare = new_session,
    run = function(session) return session:request("GET", "/numbers") end,
    expect = expect_success,
    after = check_usable,
  },
  new_session = {
    run = function() return new_session() end,
    expect = expect_success,
    after = function(_, ok, session)
      if ok then
        check_usable(session)
      end
    end,
  },
  certificate_login = {
    run = function()
      local session = certificate_session()
      session:request("GET", "/numbers")
      return session
    end,
    expect = expect_success,
    after = function(_, ok, session)
      if ok then
        check_usable(session)
      end
    end,
  },
  rejected_options = {
    run = function()
      return core.session({ user_email = "dev@example.com", password = "alloc-spec-password",
        auth_url = "ftp://127.0.0.1/", cloudworks_url = "http://127.0.0.1:9/2/0?page=1", timeout = -1,
        colour = "red" })
    end,
    expect = expect_kind("validation"),
    after = function() end,
  },
  -- A 60 ms token is due for a refresh once 45 ms have passed. A slow run
  -- may find it expired instead, which sends a new login: both paths count.
  refresh_due = {
    prepare = function()
      local session = logged_in_session({ auth_url = base_url .. "/short-expiry" })
      core.sleep(0.05)
      return session
    end,
    run = function(session) return session:request("GET", "/numbers") end,
    expect = expect_success,
    after = check_usable,
  },
  expired = {
    prepare = function()
      local session = logged_in_session({ auth_url = base_url .. "/short-expiry" })
      core.sleep(0.07)
      return session
    end,
    run = function(session) return session:request("GET", "/numbers") end,
    expect = expect_success,
    after = check_usable,
  },
  json_error = {
    prepare = logged_in_session,
    run = function(session) return session:request("GET", "/json-404") end,
    expect = expect_kind("http"),
    after = check_usable,
  },
  page_error = {
    prepare = logged_in_session,
    run = function(session) return session:request("GET", "/long-404") end,
    expect = expect_kind("http"),
    after = check_usable,
  },
  not_json = {
    prepare = logged_in_session,
    run = function(session) return session:request("GET", "/text") end,
    expect = expect_kind("http"),
    after = check_usable,
  },
  raw_body = {
    prepare = logged_in_session,
    run = function(session) return session:request("GET", "/text", nil, true) end,
    expect = expect_success,
    after = check_usable,
  },
  login_again_after_401 = {
    prepare = logged_in_session,
    run = function(session) return session:request("GET", "/unauthorized") end,
    expect = expect_kind("auth"),
    after = check_usable,
  },
  given_token_401 = {
    prepare = function() return new_session({ token = "alloc-spec-given-token" }) end,
    run = function(session) return session:request("GET", "/unauthorized") end,
    expect = expect_kind("auth"),
    after = function(session)
      session:close()
      check_closed(session)
    end,
  },
  close = {
    prepare = logged_in_session,
    run = function(session) return session:close() end,
    expect = expect_success,
    after = check_closed,
  },
}

-- An injected failure may surface as Lua's memory error, as the core's
-- message for a failed copy, or, when it hit a logger or the decoding of an
-- error response, as the error object the call would raise anyway.
local function check_error(err)
  if core.is_error(err) then
    return
  end
  assert(type(err) == "string" and err:find("not enough memory", 1, true),
    "unexpected error: " .. tostring(err))
end

local scenario = assert(scenarios[scenario_name], "unknown scenario " .. tostring(scenario_name))
for n = 1, MAX_POINTS do
  local state = scenario.prepare and scenario.prepare()
  allocation.fail_at(n)
  local ok, result = pcall(scenario.run, state)
  local injected = allocation.disarm()

  local checked, problem = pcall(function()
    if injected then
      if not ok then
        check_error(result)
      end
    else
      scenario.expect(ok, result)
    end
    scenario.after(state, ok, result)
  end)
  if not checked then
    error(string.format("%s, allocation %d failed (%s): %s", scenario_name, n, tostring(result),
      tostring(problem)), 0)
  end
  if not injected then
    print(string.format("%s: %d allocation points", scenario_name, n - 1))
    collectgarbage()
    return
  end
end
error(string.format("%s: more than %d allocation points", scenario_name, MAX_POINTS), 0)
