-- The emulator's Anaplan authentication API: basic and certificate login,
-- token validate, refresh and logout, and the token check for CloudWorks.
--
-- Certificate logins are verified with the openssl command-line tool. Each
-- check runs four openssl processes one after another and blocks the server
-- until they end, which is acceptable for a development tool.
local json = require("anaplan.emulator.json")

local auth = {}

local Auth = {}
Auth.__index = Auth

local DEFAULT_EMAIL = "dev@example.com"
local DEFAULT_PASSWORD = "dev"
local DEFAULT_TOKEN_TTL = 2100
local MIN_SIGNED_BYTES = 100

---------------------------------------------------------------------------
-- Base64
---------------------------------------------------------------------------

local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local DECODE = {}
for i = 1, #ALPHABET do
  DECODE[ALPHABET:byte(i)] = i - 1
end

-- Returns the standard base64 text (with padding) of data.
function auth.base64_encode(data)
  local out = {}
  for i = 1, #data, 3 do
    local a, b, c = data:byte(i, i + 2)
    local n = (a << 16) | ((b or 0) << 8) | (c or 0)
    local quad = {}
    for shift = 18, 0, -6 do
      local index = (n >> shift) & 63
      quad[#quad + 1] = ALPHABET:sub(index + 1, index + 1)
    end
    if not b then
      quad[3], quad[4] = "=", "="
    elseif not c then
      quad[4] = "="
    end
    out[#out + 1] = table.concat(quad)
  end
  return table.concat(out)
end

-- Returns the bytes that base64 text encodes, or nil when text is not valid
-- base64. Whitespace is ignored, as encoders often wrap lines.
function auth.base64_decode(text)
  if type(text) ~= "string" then
    return nil
  end
  text = text:gsub("%s", "")
  if #text % 4 ~= 0 or not text:match("^[A-Za-z0-9+/]*=?=?$") then
    return nil
  end
  local out = {}
  for i = 1, #text, 4 do
    local n, count = 0, 0
    for j = i, i + 3 do
      local value = DECODE[text:byte(j)]
      if value then
        n = (n << 6) | value
        count = count + 1
      else
        n = n << 6
      end
    end
    local bytes = string.char((n >> 16) & 255, (n >> 8) & 255, n & 255)
    out[#out + 1] = bytes:sub(1, count - 1)
  end
  return table.concat(out)
end

---------------------------------------------------------------------------
-- Random identifiers
---------------------------------------------------------------------------

local function default_random_hex(n)
  local digits = {}
  for i = 1, n do
    digits[i] = string.format("%x", math.random(0, 15))
  end
  return table.concat(digits)
end

-- Returns a random id in the 8-4-4-4-12 form of a UUID.
function Auth:uuid()
  local hex = self.random_hex(32)
  return string.format("%s-%s-%s-%s-%s", hex:sub(1, 8), hex:sub(9, 12), hex:sub(13, 16),
    hex:sub(17, 20), hex:sub(21, 32))
end

-- Returns a random token value: base64 text of 48 random bytes.
function Auth:new_token_value()
  local hex = self.random_hex(96)
  local bytes = hex:gsub("%x%x", function(pair)
    return string.char(tonumber(pair, 16))
  end)
  return auth.base64_encode(bytes)
end

---------------------------------------------------------------------------
-- Users and tokens
---------------------------------------------------------------------------

-- Creates the auth service. options (all optional): user_email and password
-- (the one login basic auth accepts), token_ttl (seconds), clock (seconds
-- since the epoch), random_hex(n) (n lowercase hex digits).
function auth.new(options)
  options = options or {}
  local self = setmetatable({
    email = options.user_email or DEFAULT_EMAIL,
    password = options.password or DEFAULT_PASSWORD,
    token_ttl = options.token_ttl or DEFAULT_TOKEN_TTL,
    clock = options.clock or os.time,
    random_hex = options.random_hex or default_random_hex,
    base_url = "",
    users = {},
    tokens = {},
  }, Auth)
  self.customer_guid = self.random_hex(32)
  self.default_user = self:user_for(self.email, "Dev User")
  return self
end

function Auth:set_base_url(base_url)
  self.base_url = base_url
end

-- Changes settings at run time. The new token_ttl applies to tokens issued
-- or refreshed from now on.
function Auth:configure(settings)
  if settings.token_ttl then
    self.token_ttl = settings.token_ttl
  end
end

-- Forgets every token. Users keep their ids, as they would on the live API.
function Auth:reset()
  self.tokens = {}
end

-- Makes every token held expire now.
function Auth:expire_all()
  local now = self.clock()
  for _, token in pairs(self.tokens) do
    token.expires_at = now
  end
end

-- Returns the user with this email, created on first use.
function Auth:user_for(email, name)
  local key = email:lower()
  local user = self.users[key]
  if not user then
    user = { id = self.random_hex(32), email = email, name = name or email:match("^[^@]*") }
    self.users[key] = user
  end
  return user
end

function Auth:issue_token(user)
  local token = {
    value = self:new_token_value(),
    id = self:uuid(),
    refresh_id = self:uuid(),
    user = user,
    expires_at = self.clock() + self.token_ttl,
  }
  self.tokens[token.value] = token
  return token
end

-- Returns the live token with this value, or nil once it is unknown or
-- expired. Expired tokens are dropped.
function Auth:find_token(value)
  local token = self.tokens[value]
  if token and self.clock() >= token.expires_at then
    self.tokens[value] = nil
    return nil
  end
  return token
end

-- Returns the user an Authorization header of a CloudWorks request belongs
-- to, or nil and a message. CloudWorks takes the token with the scheme
-- AnaplanAuthToken, and with Bearer too.
function Auth:authorize(header)
  if not header or header == "" then
    return nil, "Authorization header is missing; send AnaplanAuthToken <token>"
  end
  local scheme, value = header:match("^(%S+)%s+(%S+)$")
  if not scheme or (scheme ~= "AnaplanAuthToken" and scheme:lower() ~= "bearer") then
    return nil, "Authorization header is malformed; send AnaplanAuthToken <token>"
  end
  local token = self:find_token(value)
  if not token then
    return nil, "Invalid or expired token"
  end
  return token.user
end

---------------------------------------------------------------------------
-- Responses
---------------------------------------------------------------------------

local function failure(status, code, message)
  return status, { status = code, statusMessage = message }
end

function Auth:token_info(token, with_value)
  local info = {
    expiresAt = math.floor(token.expires_at * 1000),
    tokenId = token.id,
  }
  if with_value then
    info.tokenValue = token.value
    info.refreshTokenId = token.refresh_id
  end
  return info
end

function Auth:meta()
  return { validationUrl = self.base_url .. "/token/validate" }
end

function Auth:login_response(token)
  return 201, {
    status = "SUCCESS",
    statusMessage = "Login successful",
    tokenInfo = self:token_info(token, true),
    meta = self:meta(),
  }
end

function Auth:basic_login(credentials)
  local decoded = auth.base64_decode(credentials)
  local email, password = (decoded or ""):match("^([^:]*):(.*)$")
  if not email then
    return failure(401, "FAILURE_BAD_HEADER", "Basic credentials must be base64 of email:password")
  end
  if email:lower() ~= self.email:lower() or password ~= self.password then
    return failure(401, "FAILURE_BAD_CREDENTIAL", "Invalid email or password")
  end
  return self:login_response(self:issue_token(self.default_user))
end

---------------------------------------------------------------------------
-- Certificate login
---------------------------------------------------------------------------

local function shell_quote(text)
  return "'" .. text:gsub("'", "'\\''") .. "'"
end

local function write_file(path, data)
  local file = assert(io.open(path, "wb"))
  file:write(data)
  file:close()
end

-- Runs a command with its output discarded. Returns whether it exited 0.
local function succeeds(command)
  return os.execute(command .. " >/dev/null 2>&1") == true
end

-- Returns a table of the subject's attributes (short names to values).
local function read_subject(cert_path)
  local pipe = io.popen("openssl x509 -in " .. shell_quote(cert_path)
    .. " -noout -subject -nameopt sep_multiline,sname,utf8 2>/dev/null")
  local subject = {}
  if not pipe then
    return subject
  end
  for line in pipe:lines() do
    local name, value = line:match("^%s+([%w.]+)=(.*)$")
    if name then
      subject[name] = value
    end
  end
  pipe:close()
  return subject
end

-- Checks a certificate login with openssl. Returns the user's email (or
-- false when the subject names none), or nil and a message.
-- No secret reaches a command line: the arguments are temporary file names.
local function verify_certificate(pem, data, signature)
  local files = {}
  local function temp(contents)
    local path = os.tmpname()
    files[#files + 1] = path
    if contents then
      write_file(path, contents)
    end
    return shell_quote(path)
  end

  local ok, result, message = pcall(function()
    local cert, key = temp(pem), temp()
    if not succeeds("openssl x509 -in " .. cert .. " -noout -pubkey -out " .. key) then
      return nil, "the CACertificate header does not contain a readable X.509 certificate"
    end
    if not succeeds("openssl x509 -in " .. cert .. " -noout -checkend 0") then
      return nil, "the certificate has expired"
    end
    -- rsa_padding_mode fails for a key that is not RSA, so only
    -- RSA-SHA512 (PKCS #1 v1.5) signatures pass, as the live API requires.
    local command = string.format(
      "openssl dgst -sha512 -sigopt rsa_padding_mode:pkcs1 -verify %s -signature %s %s",
      key, temp(signature), temp(data))
    if not succeeds(command) then
      return nil, "encodedSignedData is not a valid RSA-SHA512 signature of encodedData for this certificate"
    end
    local subject = read_subject(files[1])
    return subject.emailAddress or subject.CN or false
  end)

  for _, path in ipairs(files) do
    os.remove(path)
  end
  if not ok then
    return nil, "certificate check failed: " .. tostring(result)
  end
  return result, message
end

function Auth:certificate_login(encoded_certificate, raw_body)
  local pem = auth.base64_decode(encoded_certificate)
  if not pem or not pem:find("-----BEGIN CERTIFICATE-----", 1, true) then
    return failure(401, "FAILURE_BAD_HEADER", "CACertificate must be followed by a base64-encoded PEM certificate")
  end

  local body = json.decode(raw_body ~= "" and raw_body or "null")
  if type(body) ~= "table" then
    return failure(401, "FAILURE_BAD_CREDENTIAL",
      "certificate login needs a JSON body with encodedData and encodedSignedData")
  end
  for _, field in ipairs({ "encodedData", "encodedSignedData" }) do
    if type(body[field]) ~= "string" or body[field] == "" then
      return failure(401, "FAILURE_BAD_CREDENTIAL", field .. " is missing or not a string")
    end
  end
  local data = auth.base64_decode(body.encodedData)
  if not data then
    return failure(401, "FAILURE_BAD_CREDENTIAL", "encodedData is not valid base64")
  end
  if #data < MIN_SIGNED_BYTES then
    return failure(401, "FAILURE_BAD_CREDENTIAL", string.format(
      "encodedData must carry at least %d random bytes, got %d", MIN_SIGNED_BYTES, #data))
  end
  local signature = auth.base64_decode(body.encodedSignedData)
  if not signature then
    return failure(401, "FAILURE_BAD_CREDENTIAL", "encodedSignedData is not valid base64")
  end

  local email, message = verify_certificate(pem, data, signature)
  if email == nil then
    return failure(401, "FAILURE_BAD_CREDENTIAL", message)
  end
  local user = self.default_user
  if email and email ~= "" then
    user = self:user_for(email)
  end
  return self:login_response(self:issue_token(user))
end

---------------------------------------------------------------------------
-- Token operations
---------------------------------------------------------------------------

-- Returns the token an /token/validate, refresh or logout request carries,
-- or nil and the error response.
function Auth:token_of(request)
  local header = request.headers.authorization
  if not header or header == "" then
    return nil, failure(401, "FAILURE_BAD_HEADER", "Authorization header is missing")
  end
  local value = header:match("^AnaplanAuthToken%s+(%S+)$")
  if not value then
    return nil, failure(400, "FAILURE_BAD_HEADER", "Authorization header must be AnaplanAuthToken <token>")
  end
  local token = self:find_token(value)
  if not token then
    return nil, failure(401, "FAILURE_BAD_CREDENTIAL", "Invalid or expired token")
  end
  return token
end

local handlers = {}

handlers["POST /token/authenticate"] = function(self, request)
  local header = request.headers.authorization or ""
  local scheme, credentials = header:match("^(%S+)%s+(%S+)$")
  if scheme and scheme:lower() == "basic" then
    return self:basic_login(credentials)
  end
  if scheme == "CACertificate" then
    return self:certificate_login(credentials, request.body)
  end
  return failure(401, "FAILURE_BAD_HEADER",
    "Authorization header must be Basic <base64 email:password> or CACertificate <base64 certificate>")
end

handlers["GET /token/validate"] = function(self, request)
  local token, status, body = self:token_of(request)
  if not token then
    return status, body
  end
  return 200, {
    status = "SUCCESS",
    statusMessage = "Token validated",
    tokenInfo = self:token_info(token, false),
    userInfo = {
      userGuid = token.user.id,
      userId = token.user.email,
      customerGuid = self.customer_guid,
    },
    meta = self:meta(),
  }
end

handlers["POST /token/refresh"] = function(self, request)
  local token, status, body = self:token_of(request)
  if not token then
    return status, body
  end
  token.expires_at = self.clock() + self.token_ttl
  return 200, {
    status = "SUCCESS",
    statusMessage = "Token refreshed",
    tokenInfo = self:token_info(token, true),
    meta = self:meta(),
  }
end

handlers["POST /token/logout"] = function(self, request)
  local token, status, body = self:token_of(request)
  if not token then
    return status, body
  end
  self.tokens[token.value] = nil
  return 204, ""
end

local ALLOWED = {}
for route in pairs(handlers) do
  local method, path = route:match("^(%S+) (.*)$")
  ALLOWED[path] = method
end

-- Handles a request under /token. Returns status, body (a table, or "" for
-- no body) and headers, or nil when no route matches.
function Auth:handle(request)
  local handler = handlers[request.method .. " " .. request.path]
  if handler then
    return handler(self, request)
  end
  local allowed = ALLOWED[request.path]
  if allowed then
    return 405, { status = "FAILURE_BAD_HEADER", statusMessage = request.method .. " is not allowed here; use " .. allowed },
      { Allow = allowed }
  end
  return nil
end

return auth
