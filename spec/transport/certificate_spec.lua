-- Certificate login: a throwaway RSA key and self-signed certificate made
-- with the openssl command-line tool, given as paths or as PEM text, plus
-- the keys that must be rejected before any request goes out.
local core = require("anaplan.core")
local cjson = require("cjson")
local emulator_auth = require("anaplan.emulator.auth")
local emulator_hooks = require("helpers.emulator")
local shell = require("helpers.shell")
local transport = require("helpers.transport")

local KEY_PASSWORD = "certificate-spec-key-password"

local catch = transport.catch
local run, read_file = shell.run, shell.read_file

-- Returns the base64 lines of a PEM file: none of them may show up in a message.
local function pem_lines(path)
  local lines = {}
  for line in read_file(path):gmatch("[^\n]+") do
    if not line:find("-----", 1, true) and #line > 20 then
      lines[#lines + 1] = line
    end
  end
  return lines
end

local function assert_no_key_material(text, key_path)
  for _, line in ipairs(pem_lines(key_path)) do
    assert.is_nil(text:find(line, 1, true), "key material in: " .. text)
  end
end

describe("certificate login", function()
  local emulator, dir, files

  emulator_hooks.share({ port = 0, max_lifetime = 600 }, function(started)
    emulator = started
  end)

  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    run("mkdir -m 700 " .. dir)
    files = {
      key = dir .. "/key.pem",
      cert = dir .. "/cert.pem",
      encrypted_key = dir .. "/encrypted-key.pem",
      traditional_key = dir .. "/traditional-key.pem",
      other_key = dir .. "/other-key.pem",
      ec_key = dir .. "/ec-key.pem",
      ec_cert = dir .. "/ec-cert.pem",
      not_a_key = dir .. "/not-a-key.pem",
    }
    run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=cert.user@example.com"
      .. " -keyout " .. files.key .. " -out " .. files.cert)
    run("openssl rsa -in " .. files.key .. " -traditional -aes256 -passout pass:" .. KEY_PASSWORD
      .. " -out " .. files.traditional_key)
    run("openssl pkey -in " .. files.key .. " -aes256 -passout pass:" .. KEY_PASSWORD
      .. " -out " .. files.encrypted_key)
    run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " .. files.other_key)
    run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " .. files.ec_key)
    run("openssl req -x509 -key " .. files.ec_key .. " -days 2 -subj /CN=ec.user@example.com -out "
      .. files.ec_cert)
    local file = assert(io.open(files.not_a_key, "w"))
    file:write("this file holds no PEM block\n")
    file:close()
  end)

  teardown(function()
    for _, path in pairs(files) do
      os.remove(path)
    end
    os.remove(dir)
  end)

  local function new_session(certificate, private_key, key_password, logger)
    return core.session({ certificate = certificate, private_key = private_key,
      private_key_password = key_password, auth_url = emulator.auth_url,
      cloudworks_url = emulator.cloudworks_url, timeout = 10, logger = logger, log_level = "debug" })
  end

  it("logs in with certificate and key files", function()
    local session = new_session(files.cert, files.key)
    local response = session:request("GET", "/integrations/connections")
    assert.are.equal(200, response.status.code)

    local requests = emulator:requests()
    assert.are.equal(2, #requests)
    assert.are.equal("/token/authenticate", requests[1].path)
    assert.are.equal("CACertificate ***", requests[1].headers.authorization)
    assert.are.equal("application/json", requests[1].headers["content-type"])
    assert.are.equal("AnaplanAuthToken ***", requests[2].headers.authorization)
    session:close()
  end)

  it("signs 150 fresh random bytes", function()
    local session = new_session(files.cert, files.key)
    session:request("GET", "/integrations/connections")
    session:close()
    session = new_session(files.cert, files.key)
    session:request("GET", "/integrations/connections")
    session:close()

    local logins = {}
    for _, request in ipairs(emulator:requests()) do
      if request.path == "/token/authenticate" then
        logins[#logins + 1] = cjson.decode(request.body)
      end
    end
    assert.are.equal(2, #logins)
    for _, body in ipairs(logins) do
      assert.are.equal(150, #emulator_auth.base64_decode(body.encodedData))
      -- The emulator masks the signature in its log; it checked it on arrival.
      assert.are.equal("string", type(body.encodedSignedData))
    end
    assert.are_not.equal(logins[1].encodedData, logins[2].encodedData)
  end)

  it("accepts PEM text in place of paths", function()
    local session = new_session(read_file(files.cert), read_file(files.key))
    assert.are.equal(200, session:request("GET", "/integrations/connections").status.code)
    session:close()
  end)

  it("shows the certificate subject, never the key", function()
    local session = new_session(read_file(files.cert), read_file(files.key))
    local text = tostring(session)
    assert.matches("certificate login as /CN=cert.user@example.com", text, 1, true)
    assert_no_key_material(text, files.key)
    session:close()
  end)

  it("decrypts an encrypted key with its password", function()
    local session = new_session(files.cert, files.encrypted_key, KEY_PASSWORD)
    assert.are.equal(200, session:request("GET", "/integrations/connections").status.code)
    session:close()
  end)

  it("decrypts a traditional encrypted RSA key", function()
    assert.matches("Proc-Type: 4,ENCRYPTED", read_file(files.traditional_key), 1, true)
    local session = new_session(files.cert, read_file(files.traditional_key), KEY_PASSWORD)
    assert.are.equal(200, session:request("GET", "/integrations/connections").status.code)
    session:close()

    local err = catch(new_session, files.cert, files.traditional_key, "wrong-key-password")
    assert.are.equal("auth", err.kind)
    assert.matches("could not decrypt private_key: wrong private_key_password", err.message, 1, true)
  end)

  it("sends only the certificate from a bundle", function()
    local bundle = dir .. "/bundle.pem"
    local file = assert(io.open(bundle, "w"))
    file:write(read_file(files.key), read_file(files.cert))
    file:close()
    files.bundle = bundle

    local session = new_session(bundle, bundle)
    assert.are.equal(200, session:request("GET", "/integrations/connections").status.code)
    session:close()
    -- The emulator decodes the header to check the certificate; a key in it
    -- would have been sent to the server.
    assert.are.equal("CACertificate ***", emulator:requests()[1].headers.authorization)
  end)

  describe("rejects before any request", function()
    local cases = {
      { "a wrong key password", function() return files.cert, files.encrypted_key, "wrong-key-password" end,
        "could not decrypt private_key: wrong private_key_password" },
      { "an encrypted key without password", function() return files.cert, files.encrypted_key, nil end,
        "private_key is encrypted; set private_key_password" },
      { "a key of another certificate", function() return files.cert, files.other_key, nil end,
        "private_key does not match the certificate" },
      { "an EC key", function() return files.ec_cert, files.ec_key, nil end,
        "private_key is an EC key; certificate login needs an RSA key" },
      { "a file with no key", function() return files.cert, files.not_a_key, nil end,
        "private_key is not a PEM private key" },
      { "a file with no certificate", function() return files.not_a_key, files.key, nil end,
        "certificate holds no PEM certificate" },
    }
    for _, case in ipairs(cases) do
      local name, arguments, expected = case[1], case[2], case[3]
      it(name, function()
        local certificate, private_key, key_password = arguments()
        local lines = {}
        local err = catch(new_session, certificate, private_key, key_password, function(level, message)
          lines[#lines + 1] = level .. " " .. message
        end)
        assert.are.equal("auth", err.kind)
        assert.matches(expected, err.message, 1, true)
        assert_no_key_material(err.message, private_key)
        if key_password then
          assert.is_nil(err.message:find(key_password, 1, true))
        end
        assert.are.same({}, lines)
        assert.are.same({}, emulator:requests())
      end)
    end

    it("a missing certificate file, naming it", function()
      local err = catch(new_session, dir .. "/missing-cert.pem", files.key)
      assert.are.equal("auth", err.kind)
      assert.matches("could not read the certificate file '" .. dir .. "/missing-cert.pem': No such file",
        err.message, 1, true)
    end)

    it("a missing key file, without its path", function()
      local err = catch(new_session, files.cert, dir .. "/missing-key.pem")
      assert.are.equal("auth", err.kind)
      assert.matches("could not read the private_key file: No such file", err.message, 1, true)
      assert.is_nil(err.message:find("missing-key.pem", 1, true))
    end)
  end)

  it("raises auth when the server rejects the certificate", function()
    emulator:fault({ method = "POST", path = "/token/authenticate", count = 1, kind = "status", status = 401 })
    local session = new_session(files.cert, files.key)
    local err = catch(session.request, session, "GET", "/integrations/connections")
    assert.are.equal("auth", err.kind)
    assert.are.equal(401, err.status)
    assert.matches("login failed for certificate /CN=cert.user@example.com: HTTP 401", err.message, 1, true)
    session:close()
  end)
end)
