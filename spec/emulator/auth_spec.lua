-- The emulator's auth API: basic and certificate login, validate, refresh,
-- logout, and the token check on CloudWorks calls. The server runs in this
-- process with a fake CloudWorks state and a clock the specs move by hand.
local uv = require("luv")
local json = require("anaplan.emulator.json")
local server = require("anaplan.emulator.server")
local client = require("anaplan.emulator.client")
local auth = require("anaplan.emulator.auth")
local shell = require("helpers.shell")

local UUID = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"
local START = 1700000000.0

local function basic(email, password)
  return "Basic " .. auth.base64_encode(email .. ":" .. password)
end

local function fake_state()
  local state = { handled = 0 }
  function state:handle(request)
    self.handled = self.handled + 1
    if request.path == "/integrations" then
      return 200, { status = { code = 200, message = "Success" }, user = request.user }
    end
  end
  function state:configure() end
  function state:reset() end
  function state:set_next_outcome() end
  return state
end

local read_file = shell.read_file

local function write_file(path, data)
  local file = assert(io.open(path, "wb"))
  file:write(data)
  file:close()
end

local function random_bytes(count)
  local bytes = {}
  for i = 1, count do
    bytes[i] = string.char(math.random(0, 255))
  end
  return table.concat(bytes)
end

local run = shell.run

describe("emulator auth API", function()
  local emulator, now

  before_each(function()
    now = START
    emulator = assert(server.start({
      state = fake_state(),
      token_ttl = 2100,
      clock = function() return now end,
    }))
  end)

  after_each(function()
    emulator:stop()
    uv.run("nowait")
  end)

  local function call(method, path, headers, body)
    local status, response_headers, text = client.request({
      port = emulator.port, method = method, path = path, headers = headers, body = body,
    })
    assert(status, response_headers)
    return status, text ~= "" and json.decode(text) or nil, response_headers
  end

  local function login()
    local status, body = call("POST", "/token/authenticate", { Authorization = basic("dev@example.com", "dev") })
    assert.are.equal(201, status)
    return body.tokenInfo
  end

  local function token_header(value)
    return { Authorization = "AnaplanAuthToken " .. value }
  end

  describe("basic login", function()
    it("returns 201 with the token shape", function()
      local status, body, headers = call("POST", "/token/authenticate",
        { Authorization = basic("dev@example.com", "dev") })

      assert.are.equal(201, status)
      assert.matches("^application/json", headers["content-type"])
      assert.are.equal("SUCCESS", body.status)
      assert.are.equal("Login successful", body.statusMessage)
      local info = body.tokenInfo
      assert.are.equal(math.tointeger((START + 2100) * 1000), info.expiresAt)
      assert.are.equal("integer", math.type(info.expiresAt))
      assert.matches(UUID, info.tokenId)
      assert.matches(UUID, info.refreshTokenId)
      assert.is_string(info.tokenValue)
      assert.is_true(#info.tokenValue >= 32)
      assert.are.equal(emulator.base_url .. "/token/validate", body.meta.validationUrl)
    end)

    it("issues a different token on each login", function()
      assert.are_not.equal(login().tokenValue, login().tokenValue)
    end)

    it("rejects a bad password with 401", function()
      local status, body = call("POST", "/token/authenticate", { Authorization = basic("dev@example.com", "nope") })
      assert.are.equal(401, status)
      assert.are.equal("FAILURE_BAD_CREDENTIAL", body.status)
      assert.is_string(body.statusMessage)
      assert.is_nil(body.tokenInfo)
    end)

    it("rejects an unknown user with 401", function()
      local status, body = call("POST", "/token/authenticate", { Authorization = basic("other@example.com", "dev") })
      assert.are.equal(401, status)
      assert.are.equal("FAILURE_BAD_CREDENTIAL", body.status)
    end)

    it("rejects a login without Authorization with 401", function()
      local status, body = call("POST", "/token/authenticate")
      assert.are.equal(401, status)
      assert.are.equal("FAILURE_BAD_HEADER", body.status)
    end)

    it("accepts the login it was started with", function()
      emulator:stop()
      emulator = assert(server.start({ state = fake_state(), user_email = "jane@example.com", password = "s3cret:x" }))
      local status = call("POST", "/token/authenticate", { Authorization = basic("jane@example.com", "s3cret:x") })
      assert.are.equal(201, status)
      status = call("POST", "/token/authenticate", { Authorization = basic("dev@example.com", "dev") })
      assert.are.equal(401, status)
    end)
  end)

  describe("tokens on CloudWorks calls", function()
    it("lets a token reach the state as its user", function()
      local status, body = call("GET", "/2/0/integrations", token_header(login().tokenValue))
      assert.are.equal(200, status)
      assert.are.equal("dev@example.com", body.user.email)
      assert.are.equal("Dev User", body.user.name)
    end)

    it("rejects a token past token_ttl with 401", function()
      local token = login().tokenValue
      now = START + 2100
      local status, body = call("GET", "/2/0/integrations", token_header(token))
      assert.are.equal(401, status)
      assert.are.equal(401, body.status.code)
    end)

    it("accepts a token just before token_ttl", function()
      local token = login().tokenValue
      now = START + 2099.5
      assert.are.equal(200, (call("GET", "/2/0/integrations", token_header(token))))
    end)

    it("rejects every token after tokens/expire", function()
      local first, second = login().tokenValue, login().tokenValue
      assert.are.equal(200, (call("POST", "/__emulator/tokens/expire")))
      assert.are.equal(401, (call("GET", "/2/0/integrations", token_header(first))))
      assert.are.equal(401, (call("GET", "/2/0/integrations", token_header(second))))
      local fresh = login().tokenValue
      assert.are.equal(200, (call("GET", "/2/0/integrations", token_header(fresh))))
    end)

    it("gives new tokens the token_ttl set through config", function()
      call("POST", "/__emulator/config", nil, '{"token_ttl": 5}')
      local info = login()
      assert.are.equal(math.tointeger((START + 5) * 1000), info.expiresAt)
      now = START + 5
      assert.are.equal(401, (call("GET", "/2/0/integrations", token_header(info.tokenValue))))
    end)
  end)

  describe("validate, refresh and logout", function()
    it("validate describes the token and its user", function()
      local info = login()
      local status, body = call("GET", "/token/validate", token_header(info.tokenValue))
      assert.are.equal(200, status)
      assert.are.equal("SUCCESS", body.status)
      assert.are.equal(info.tokenId, body.tokenInfo.tokenId)
      assert.are.equal(info.expiresAt, body.tokenInfo.expiresAt)
      assert.is_nil(body.tokenInfo.tokenValue)
      assert.are.equal("dev@example.com", body.userInfo.userId)
      assert.matches("^%x+$", body.userInfo.userGuid)
      assert.are.equal(32, #body.userInfo.userGuid)
      assert.are.equal(32, #body.userInfo.customerGuid)
    end)

    it("validate rejects an expired token with 401", function()
      local info = login()
      now = START + 3000
      local status, body = call("GET", "/token/validate", token_header(info.tokenValue))
      assert.are.equal(401, status)
      assert.are.equal("FAILURE_BAD_CREDENTIAL", body.status)
    end)

    it("validate rejects a header of the wrong scheme with 400", function()
      local status, body = call("GET", "/token/validate", { Authorization = "Token abc" })
      assert.are.equal(400, status)
      assert.are.equal("FAILURE_BAD_HEADER", body.status)
    end)

    it("refresh keeps the value and extends expiresAt", function()
      local info = login()
      now = START + 100
      local status, body = call("POST", "/token/refresh", token_header(info.tokenValue))

      assert.are.equal(200, status)
      assert.are.equal("Token refreshed", body.statusMessage)
      assert.are.equal(info.tokenValue, body.tokenInfo.tokenValue)
      assert.are.equal(info.tokenId, body.tokenInfo.tokenId)
      assert.are.equal(info.expiresAt + 100000, body.tokenInfo.expiresAt)
      now = START + 2150
      assert.are.equal(200, (call("GET", "/2/0/integrations", token_header(info.tokenValue))))
    end)

    it("refresh rejects an expired token with 401", function()
      local info = login()
      now = START + 2100
      assert.are.equal(401, (call("POST", "/token/refresh", token_header(info.tokenValue))))
    end)

    it("logout returns 204 and ends the token", function()
      local token = login().tokenValue
      local status, body = call("POST", "/token/logout", token_header(token))
      assert.are.equal(204, status)
      assert.is_nil(body)
      assert.are.equal(401, (call("GET", "/2/0/integrations", token_header(token))))
      assert.are.equal(401, (call("GET", "/token/validate", token_header(token))))
      assert.are.equal(401, (call("POST", "/token/refresh", token_header(token))))
    end)

    it("returns 405 for a wrong method", function()
      local status, _, headers = call("GET", "/token/authenticate")
      assert.are.equal(405, status)
      assert.are.equal("POST", headers.allow)
    end)
  end)

  describe("certificate login", function()
    local directory, certificate_header, key_path

    setup(function()
      directory = os.tmpname()
      os.remove(directory)
      run("mkdir -m 700 " .. directory)
      key_path = directory .. "/key.pem"
      run(string.format("openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s/cert.pem -days 2 "
        .. "-subj '/CN=Cert User/emailAddress=cert.user@example.com'", key_path, directory))
      certificate_header = "CACertificate " .. auth.base64_encode(read_file(directory .. "/cert.pem"))
    end)

    teardown(function()
      run("rm -rf " .. directory)
    end)

    -- Returns the login body for data signed with RSA-SHA512 by our key.
    local function signed_body(data, signed)
      write_file(directory .. "/data", signed or data)
      run(string.format("openssl dgst -sha512 -sign %s -out %s/sig %s/data", key_path, directory, directory))
      return json.encode({
        encodedData = auth.base64_encode(data),
        encodedSignedData = auth.base64_encode(read_file(directory .. "/sig")),
      })
    end

    it("logs in the certificate's user with a good signature", function()
      local status, body = call("POST", "/token/authenticate", { Authorization = certificate_header },
        signed_body(random_bytes(150)))
      assert.are.equal(201, status)
      assert.are.equal("Login successful", body.statusMessage)

      local _, validated = call("GET", "/token/validate", token_header(body.tokenInfo.tokenValue))
      assert.are.equal("cert.user@example.com", validated.userInfo.userId)
    end)

    it("rejects a signature of other data", function()
      local status, body = call("POST", "/token/authenticate", { Authorization = certificate_header },
        signed_body(random_bytes(150), random_bytes(150)))
      assert.are.equal(401, status)
      assert.are.equal("FAILURE_BAD_CREDENTIAL", body.status)
      assert.matches("signature", body.statusMessage)
    end)

    it("rejects encodedData under 100 bytes", function()
      local status, body = call("POST", "/token/authenticate", { Authorization = certificate_header },
        signed_body(random_bytes(99)))
      assert.are.equal(401, status)
      assert.matches("at least 100", body.statusMessage)
    end)

    it("rejects a body without encodedSignedData", function()
      local status, body = call("POST", "/token/authenticate", { Authorization = certificate_header },
        json.encode({ encodedData = auth.base64_encode(random_bytes(120)) }))
      assert.are.equal(401, status)
      assert.matches("encodedSignedData", body.statusMessage)
    end)

    it("rejects a header that holds no certificate", function()
      local status, body = call("POST", "/token/authenticate",
        { Authorization = "CACertificate " .. auth.base64_encode("not a certificate") },
        signed_body(random_bytes(120)))
      assert.are.equal(401, status)
      assert.are.equal("FAILURE_BAD_HEADER", body.status)
    end)

    it("leaves no temporary files behind", function()
      local body = signed_body(random_bytes(150))
      local created = {}
      local tmpname = os.tmpname
      os.tmpname = function()
        local path = tmpname()
        created[#created + 1] = path
        return path
      end
      local ok, status = pcall(call, "POST", "/token/authenticate", { Authorization = certificate_header }, body)
      os.tmpname = tmpname

      assert.is_true(ok)
      assert.are.equal(201, status)
      assert.is_true(#created >= 3)
      for _, path in ipairs(created) do
        assert.is_nil(io.open(path), path)
      end
    end)
  end)
end)

describe("base64", function()
  it("round-trips every byte value and padding length", function()
    local all = {}
    for byte = 0, 255 do
      all[#all + 1] = string.char(byte)
    end
    for _, data in ipairs({ "", "f", "fo", "foo", "foob", table.concat(all) }) do
      assert.are.equal(data, auth.base64_decode(auth.base64_encode(data)))
    end
    assert.are.equal("Zm9vYg==", auth.base64_encode("foob"))
  end)

  it("rejects text that is not base64", function()
    assert.is_nil(auth.base64_decode("abc"))
    assert.is_nil(auth.base64_decode("ab$="))
    assert.are.equal("foo", auth.base64_decode("Zm9v\n"))
  end)
end)
