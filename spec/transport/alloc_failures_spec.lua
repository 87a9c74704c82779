-- Out-of-memory errors at every allocation point of a call: builds
-- alloc_host.c with AddressSanitizer, runs each scenario of
-- alloc_scenarios.lua in it against the fixture server, and expects no
-- leak, no memory error and a session that still works or is closed.
--
-- The core under test is the one busted's cpath finds, so the sanitizer
-- build is checked the same way.
local fixture_server = require("transport.fixture_server")
local shell = require("helpers.shell")

local HERE = "spec/transport/"

local shell_quote, run = shell.quote, shell.capture

local function core_cpath()
  local path = package.searchpath("anaplan.core", package.cpath)
  assert(path, "anaplan/core.so is not on package.cpath (" .. package.cpath .. "); build it first")
  local folder = assert(path:match("^(.*)/anaplan/core%.so$"), "cannot tell the build folder from " .. path)
  if folder:sub(1, 1) ~= "/" then
    folder = assert(os.getenv("PWD")) .. "/" .. folder
  end
  return folder .. "/?.so"
end

local SCENARIOS = {
  { "first_call", "a first call that logs in" },
  { "new_session", "core.session" },
  { "certificate_login", "a certificate session's first call" },
  { "rejected_options", "core.session with bad options" },
  { "refresh_due", "a call that refreshes the token" },
  { "expired", "a call that logs in after expiry" },
  { "json_error", "an HTTP error with a JSON envelope" },
  { "page_error", "an HTTP error with an HTML page" },
  { "not_json", "a 200 whose body is not JSON" },
  { "raw_body", "a raw body" },
  { "login_again_after_401", "a 401 that logs in again" },
  { "given_token_401", "a 401 to a given token" },
  { "close", "close with a logout" },
}

describe("allocation failures", function()
  local fixture, dir, host

  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -m 700 " .. dir))
    host = dir .. "/alloc_host"
    local code, output = run("gcc -std=c11 -g -O1 -fsanitize=address -fno-omit-frame-pointer -o "
      .. host .. " " .. HERE .. "alloc_host.c $(pkg-config --cflags --libs lua5.4)")
    assert(code == 0, "could not build the allocation host:\n" .. output)

    code, output = run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=alloc@example.com"
      .. " -keyout " .. dir .. "/key.pem -out " .. dir .. "/cert.pem")
    assert(code == 0, "could not make a certificate:\n" .. output)

    fixture = fixture_server.start({ max_requests = 200000, lifetime = 900 })
  end)

  teardown(function()
    fixture.stop()
    for _, name in ipairs({ "alloc_host", "key.pem", "cert.pem" }) do
      os.remove(dir .. "/" .. name)
    end
    os.remove(dir)
  end)

  for _, case in ipairs(SCENARIOS) do
    local name, description = case[1], case[2]
    it("leave " .. description .. " clean", function()
      local code, output = run("ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=print_suppressions=0:suppressions=" .. HERE
        .. "alloc_host.supp " .. shell_quote(host) .. " "
        .. HERE .. "alloc_scenarios.lua " .. shell_quote(core_cpath()) .. " " .. fixture.url .. " "
        .. dir .. "/cert.pem " .. dir .. "/key.pem " .. name)
      assert.are.equal(0, code, output)
      assert.matches("^" .. name .. ": %d+ allocation points\n$", output)
    end)
  end
end)
