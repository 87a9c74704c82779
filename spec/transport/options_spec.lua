-- core.session(options): every option checked before anything is sent, the
-- problems named with their option, and no request made by the constructor.
local core = require("anaplan.core")
local emulator_module = require("anaplan.emulator")
local transport = require("helpers.transport")

local USER_EMAIL = "dev@example.com"
local PASSWORD = "options-spec-password"

local catch = transport.catch

-- Returns options for basic login with key = value pairs of changes applied;
-- a change whose value is false removes that option.
local function options_with(changes)
  local options = { user_email = USER_EMAIL, password = PASSWORD,
    auth_url = "http://127.0.0.1:9", cloudworks_url = "http://127.0.0.1:9/2/0" }
  for key, value in pairs(changes or {}) do
    if value == false then
      options[key] = nil
    else
      options[key] = value
    end
  end
  return options
end

-- Returns the single problem of a validation error after checking its shape.
local function only_problem(err)
  assert.are.equal("validation", err.kind)
  assert.are.equal(1, #err.errors, err.message)
  return err.errors[1]
end

describe("core.session options", function()
  it("accepts basic login options", function()
    local session = core.session(options_with())
    assert.are.equal("anaplan.Session", getmetatable(session).__name)
    session:close()
  end)

  it("rejects a value that is not a table", function()
    local err = catch(core.session, "user_email=dev@example.com")
    assert.are.equal("validation", err.kind)
    assert.are.equal("options", err.errors[1].loc)
    assert.matches("must be a table %(got string%)", err.message)
  end)

  it("names an unknown option and suggests the nearest one", function()
    local err = catch(core.session, options_with({ timout = 5 }))
    local problem = only_problem(err)
    assert.are.equal("options.timout", problem.loc)
    assert.are.equal("is not a known option (did you mean timeout?)", problem.msg)
    assert.are.equal("options.timout is not a known option (did you mean timeout?)", err.message)
  end)

  it("rejects a key that is not a string", function()
    local options = options_with()
    options[1] = "extra"
    local problem = only_problem(catch(core.session, options))
    assert.are.equal("options", problem.loc)
    assert.matches("key of type number", problem.msg)
  end)

  local bad_values = {
    { "timeout", -1, "must be greater than 0 and at most 86400 seconds %(got %-1%)" },
    { "timeout", "30", "must be a number %(got string%)" },
    { "connect_timeout", 0, "must be greater than 0" },
    { "retry_count", 1.5, "must be an integer %(got 1.5%)" },
    { "retry_count", -1, "must be between 0 and 100 %(got %-1%)" },
    { "backoff", -0.5, "must be at least 0" },
    { "backoff_factor", 0.5, "must be at least 1" },
    { "page_size", 0, "must be between 1 and 5000 %(got 0%)" },
    { "page_size", 5001, "must be between 1 and 5000 %(got 5001%)" },
    { "verify_tls", "yes", "must be a boolean %(got string%)" },
    { "ca_file", "/nonexistent/anaplan-ca.pem", "cannot be opened: No such file" },
    { "max_response_size", 0, "must be between 1 and" },
    { "logger", "print", "must be a function%(level, message%) %(got string%)" },
    { "log_level", "loud", "must be \"debug\", \"info\", \"warn\" or \"error\" %(got loud%)" },
    { "auth_url", "ftp://127.0.0.1/", "must be an http or https URL %(got scheme ftp%)" },
    { "auth_url", "not a url", "is not a valid URL" },
    { "cloudworks_url", "http://127.0.0.1:9/2/0?x=1", "must not have a query or a fragment" },
    { "cloudworks_url", 42, "must be a string %(got number%)" },
    { "user_email", "dev:admin@example.com", "must not contain ':'" },
    { "user_email", "", "must not be empty" },
  }
  for _, case in ipairs(bad_values) do
    local name, value, pattern = case[1], case[2], case[3]
    it("rejects " .. name .. " = " .. tostring(value), function()
      local problem = only_problem(catch(core.session, options_with({ [name] = value })))
      assert.are.equal("options." .. name, problem.loc)
      assert.matches(pattern, problem.msg)
    end)
  end

  it("never quotes a URL that carries a password", function()
    local err = catch(core.session, options_with({ auth_url = "https://admin:url-secret@127.0.0.1/" }))
    local problem = only_problem(err)
    assert.are.equal("options.auth_url", problem.loc)
    assert.are.equal("must not contain a user name or password", problem.msg)
    assert.is_nil(err.message:find("url-secret", 1, true))
  end)

  it("lists every problem in one error", function()
    local err = catch(core.session, options_with({ timeout = 0, page_size = 9000, colour = "red" }))
    assert.are.equal("validation", err.kind)
    assert.are.equal(3, #err.errors)
    local locs = {}
    for _, problem in ipairs(err.errors) do
      locs[problem.loc] = true
    end
    assert.is_true(locs["options.timeout"])
    assert.is_true(locs["options.page_size"])
    assert.is_true(locs["options.colour"])
    assert.are.equal(3, select(2, err.message:gsub("\n", "")) + 1)
  end)

  describe("login method", function()
    it("requires a way to log in", function()
      local problem = only_problem(catch(core.session, options_with({ user_email = false, password = false })))
      assert.are.equal("options", problem.loc)
      assert.matches("must give a way to log in", problem.msg)
    end)

    it("rejects two ways to log in at once", function()
      local problem = only_problem(catch(core.session, options_with({ token = "abc" })))
      assert.are.equal("options", problem.loc)
      assert.matches("only one way to log in, but got user_email/password token", problem.msg)
    end)

    it("requires password with user_email", function()
      local problem = only_problem(catch(core.session, options_with({ password = false })))
      assert.are.equal("options.password", problem.loc)
      assert.are.equal("is required with user_email", problem.msg)
    end)

    it("requires user_email with password", function()
      local problem = only_problem(catch(core.session, options_with({ user_email = false })))
      assert.are.equal("options.user_email", problem.loc)
    end)

    it("requires private_key with certificate", function()
      local err = catch(core.session, options_with({ user_email = false, password = false,
        certificate = "cert.pem" }))
      local problem = only_problem(err)
      assert.are.equal("options.private_key", problem.loc)
    end)

    it("rejects private_key_password alone", function()
      local err = catch(core.session, options_with({ user_email = false, password = false,
        private_key_password = "key-password-value" }))
      assert.are.equal("validation", err.kind)
      assert.are.equal(2, #err.errors)
      assert.is_nil(err.message:find("key-password-value", 1, true))
    end)

    it("rejects a token with a line break without quoting it", function()
      local err = catch(core.session, options_with({ user_email = false, password = false,
        token = "token-secret\r\nX-Injected: 1" }))
      local problem = only_problem(err)
      assert.are.equal("options.token", problem.loc)
      assert.matches("printable ASCII", problem.msg)
      assert.is_nil(err.message:find("token-secret", 1, true))
    end)

    it("names the type of a bad password, never its value", function()
      local problem = only_problem(catch(core.session, options_with({ password = 123456 })))
      assert.are.equal("options.password", problem.loc)
      assert.are.equal("must be a string (got number)", problem.msg)
    end)
  end)

  describe("tostring", function()
    it("shows the URLs and the login kind without secrets", function()
      local session = core.session(options_with())
      local text = tostring(session)
      assert.matches("basic login as dev@example.com", text, 1, true)
      assert.matches("auth_url http://127.0.0.1:9;", text, 1, true)
      assert.matches("cloudworks_url http://127.0.0.1:9/2/0)", text, 1, true)
      assert.is_nil(text:find(PASSWORD, 1, true))
      session:close()
    end)

    it("removes trailing slashes from the URLs", function()
      local session = core.session(options_with({ auth_url = "http://127.0.0.1:9//",
        cloudworks_url = "http://127.0.0.1:9/2/0/" }))
      local text = tostring(session)
      assert.matches("auth_url http://127.0.0.1:9;", text, 1, true)
      assert.matches("cloudworks_url http://127.0.0.1:9/2/0)", text, 1, true)
      session:close()
    end)

    it("uses the Anaplan hosts by default", function()
      -- Constructing sends nothing, so the live hosts are never contacted.
      local session = core.session({ user_email = USER_EMAIL, password = PASSWORD })
      local text = tostring(session)
      assert.matches("auth_url https://auth.anaplan.com;", text, 1, true)
      assert.matches("cloudworks_url https://api.cloudworks.anaplan.com/2/0)", text, 1, true)
      session:close()
    end)

    it("hides a token the user gave", function()
      local session = core.session(options_with({ user_email = false, password = false,
        token = "given-token-value" }))
      local text = tostring(session)
      assert.matches("a token given by the user", text, 1, true)
      assert.is_nil(text:find("given-token-value", 1, true))
      session:close()
    end)
  end)

  describe("constructor", function()
    local emulator

    setup(function()
      emulator = emulator_module.start({ port = 0, password = PASSWORD, max_lifetime = 300 })
    end)

    teardown(function()
      emulator:stop()
    end)

    it("sends no request", function()
      emulator:reset()
      local session = core.session(options_with({ auth_url = emulator.auth_url,
        cloudworks_url = emulator.cloudworks_url }))
      assert.are.same({}, emulator:requests())
      assert.is_false(session:token_info().has_token)
      session:close()
      assert.are.same({}, emulator:requests())
    end)
  end)
end)
