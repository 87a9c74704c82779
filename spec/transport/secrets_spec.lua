-- No secret reaches a log line, an error object or tostring: the password,
-- a token (given or issued), the key password, the private key and a SAS
-- token inside a request body. Every session here logs at debug level into
-- one list, and every error and tostring text goes into another.
local core = require("anaplan.core")
local cjson = require("cjson")
local emulator_auth = require("anaplan.emulator.auth")
local emulator_module = require("anaplan.emulator")
local fixture_server = require("transport.fixture_server")
local shell = require("helpers.shell")

local USER_EMAIL = "dev@example.com"
local PASSWORD = "secrets-spec-password-e41b"
local GIVEN_TOKEN = "secrets-spec-given-token-77d0"
local KEY_PASSWORD = "secrets-spec-key-password-09c2"
local SAS_TOKEN = "sp=racwdl&st=2026-01-01&sig=c2VjcmV0cy1zcGVjLXNhcw"

local run, read_file = shell.run, shell.read_file

describe("secrets", function()
  local emulator, fixture, dir, key_path, encrypted_key_path, cert_path
  local texts, secrets

  -- Adds every string inside value (an error object, a table or a string).
  local function collect(value, seen)
    seen = seen or {}
    if type(value) == "string" then
      texts[#texts + 1] = value
    elseif type(value) == "table" and not seen[value] then
      seen[value] = true
      texts[#texts + 1] = tostring(value)
      for key, field in pairs(value) do
        collect(key, seen)
        collect(field, seen)
      end
    end
  end

  local function logger(level, message)
    texts[#texts + 1] = level .. " " .. message
  end

  -- Runs fn(...) and collects what it raises, if anything.
  local function collect_error(fn, ...)
    local ok, err = pcall(fn, ...)
    if not ok then
      collect(err)
    end
    return err
  end

  local function session_for(options)
    options.log_level = "debug"
    options.logger = logger
    options.backoff = 0.01
    options.timeout = options.timeout or 5
    local session = core.session(options)
    collect(tostring(session))
    return session
  end

  setup(function()
    emulator = emulator_module.start({ port = 0, password = PASSWORD, max_lifetime = 600 })
    fixture = fixture_server.start()
    dir = os.tmpname()
    os.remove(dir)
    run("mkdir -m 700 " .. dir)
    key_path, cert_path = dir .. "/key.pem", dir .. "/cert.pem"
    encrypted_key_path = dir .. "/encrypted-key.pem"
    run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=secrets@example.com"
      .. " -keyout " .. key_path .. " -out " .. cert_path)
    run("openssl pkey -in " .. key_path .. " -aes256 -passout pass:" .. KEY_PASSWORD
      .. " -out " .. encrypted_key_path)

    texts = {}
    secrets = { PASSWORD, GIVEN_TOKEN, KEY_PASSWORD, SAS_TOKEN, fixture_server.ISSUED_TOKEN,
      emulator_auth.base64_encode(USER_EMAIL .. ":" .. PASSWORD) }
    for _, path in ipairs({ key_path, encrypted_key_path }) do
      for line in read_file(path):gmatch("[^\n]+") do
        if not line:find("-----", 1, true) then
          secrets[#secrets + 1] = line
        end
      end
    end
  end)

  teardown(function()
    emulator:stop()
    fixture.stop()
    for _, path in ipairs({ key_path, encrypted_key_path, cert_path }) do
      os.remove(path)
    end
    os.remove(dir)
  end)

  it("stay out of basic login logs and errors", function()
    local session = session_for({ user_email = USER_EMAIL, password = PASSWORD, auth_url = fixture.url,
      cloudworks_url = fixture.cloudworks_url })
    session:request("GET", "/numbers")
    collect(session:token_info())
    collect_error(session.request, session, "GET", "/unauthorized")
    collect_error(session.request, session, "GET", "/json-404")
    collect_error(session.request, session, "GET", "/control-500")
    collect(tostring(session))
    session:close()
    collect_error(session.request, session, "GET", "/numbers")
  end)

  it("stay out of a failed login", function()
    local session = session_for({ user_email = USER_EMAIL, password = PASSWORD .. "-wrong",
      auth_url = emulator.auth_url, cloudworks_url = emulator.cloudworks_url })
    local err = collect_error(session.request, session, "GET", "/integrations/connections")
    assert.are.equal("auth", err.kind)
    session:close()
  end)

  it("stay out of a given token's errors", function()
    local session = session_for({ token = GIVEN_TOKEN, auth_url = fixture.url,
      cloudworks_url = fixture.cloudworks_url })
    local err = collect_error(session.request, session, "GET", "/unauthorized")
    assert.are.equal("auth", err.kind)
    collect(session:token_info())
    session:close()
  end)

  it("stay out of certificate login errors", function()
    local err = collect_error(session_for, { certificate = cert_path, private_key = encrypted_key_path,
      private_key_password = KEY_PASSWORD .. "-wrong", auth_url = emulator.auth_url,
      cloudworks_url = emulator.cloudworks_url })
    assert.are.equal("auth", err.kind)
    err = collect_error(session_for, { certificate = cert_path, private_key = read_file(encrypted_key_path),
      auth_url = emulator.auth_url, cloudworks_url = emulator.cloudworks_url })
    assert.are.equal("auth", err.kind)

    local session = session_for({ certificate = read_file(cert_path), private_key = read_file(encrypted_key_path),
      private_key_password = KEY_PASSWORD, auth_url = emulator.auth_url,
      cloudworks_url = emulator.cloudworks_url })
    session:request("GET", "/integrations/connections")
    emulator:expire_tokens()
    session:request("GET", "/integrations/connections")
    session:close()
  end)

  it("stay out of errors for a body that carries a SAS token", function()
    local session = session_for({ user_email = USER_EMAIL, password = PASSWORD, auth_url = emulator.auth_url,
      cloudworks_url = emulator.cloudworks_url, timeout = 0.4 })
    local body = cjson.encode({ type = "AzureBlob", body = { name = "secret-check", sasToken = SAS_TOKEN } })
    local err = collect_error(session.request, session, "POST", "/integrations/connections", body)
    assert.are.equal("http", err.kind)
    emulator:fault({ method = "POST", path = "/2/0/integrations/connections", count = 1, kind = "delay",
      seconds = 1 })
    err = collect_error(session.request, session, "POST", "/integrations/connections", body)
    assert.are.equal("timeout", err.kind)
    session:close()
  end)

  describe("echoed by a server", function()
    it("are masked in a JSON error message", function()
      local session = session_for({ user_email = USER_EMAIL, password = PASSWORD, auth_url = fixture.url,
        cloudworks_url = fixture.cloudworks_url })
      local err = collect_error(session.request, session, "GET", "/echo-json")
      assert.are.equal("http", err.kind)
      assert.are.equal("request (GET /echo-json) failed: HTTP 400 Authorization: AnaplanAuthToken ***",
        err.message)
      assert.are.equal("Authorization: AnaplanAuthToken ***", err.api_message)
      session:close()
    end)

    it("are masked in an error page excerpt", function()
      local session = session_for({ token = GIVEN_TOKEN, auth_url = fixture.url,
        cloudworks_url = fixture.cloudworks_url })
      local err = collect_error(session.request, session, "GET", "/echo-page")
      assert.are.equal("http", err.kind)
      assert.are.equal("<p>Authorization: AnaplanAuthToken ***</p>", err.body_excerpt)
      err = collect_error(session.request, session, "GET", "/echo-ok")
      assert.are.equal("http", err.kind)
      assert.are.equal("<p>Authorization: AnaplanAuthToken ***</p>", err.body_excerpt)
      session:close()
    end)

    it("are masked in a failed login", function()
      local session = session_for({ user_email = USER_EMAIL, password = PASSWORD,
        auth_url = fixture.url .. "/echo", cloudworks_url = fixture.cloudworks_url })
      local err = collect_error(session.request, session, "GET", "/numbers")
      assert.are.equal("auth", err.kind)
      assert.are.equal("Authorization: Basic ***; credentials " .. USER_EMAIL .. ":***", err.api_message)
      session:close()
    end)
  end)

  it("appear in none of the collected texts", function()
    -- Runs last: busted keeps the order of the tests in a file.
    assert.is_true(#texts > 40, "too few texts collected: " .. #texts)
    local debug_lines = 0
    for _, text in ipairs(texts) do
      if text:match("^debug ") then
        debug_lines = debug_lines + 1
      end
      for _, secret in ipairs(secrets) do
        assert.is_nil(text:find(secret, 1, true), "a secret appears in: " .. text)
      end
    end
    assert.is_true(debug_lines > 10)
  end)
end)
