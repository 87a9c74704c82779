-- Runs whole flows at debug log level with known secret values, then
-- searches everything the SDK produced (log lines, error messages,
-- tostring of clients, errors and models, the emulator's request log) for
-- each secret.
local anaplan = require("anaplan")
local cloud_works = require("anaplan.cloud_works")
local emulator_hooks = require("helpers.emulator")
local shell = require("helpers.shell")

local PASSWORD = "pw-Secret-7f3a91"
local SAS_TOKEN = "sv=2026&sig=SAS-Secret-c0ffee42"
local SECRET_ACCESS_KEY = "S3-Secret-Access-Key-9d8e7f"
local SERVICE_ACCOUNT_PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nGBQ-Secret-Key-5a5a\n-----END PRIVATE KEY-----\n"
local KEY_PASSWORD = "key-Password-Secret-31337"

local WORKSPACE_ID = "8a868cda860a533a0186334e91805794"
local MODEL_ID = "E2E3A0A8B2F54E4FA18D1D9C4B1F7F11"

local function run_command(command)
  local handle = assert(io.popen(command .. " 2>&1"))
  local output = handle:read("a")
  local ok = handle:close()
  assert(ok, "command failed: " .. command .. "\n" .. output)
  return output
end

local read_file = shell.read_file

-- Makes an RSA key encrypted with KEY_PASSWORD and a self-signed certificate
-- for dev@example.com; returns their PEM texts.
local function make_certificate()
  local dir = os.tmpname()
  os.remove(dir)
  run_command("mkdir -p " .. dir)
  local password_file = dir .. "/password"
  local file = assert(io.open(password_file, "w"))
  file:write(KEY_PASSWORD)
  file:close()
  run_command(string.format(
    "openssl req -x509 -newkey rsa:2048 -sha256 -days 2 -subj '/CN=dev@example.com/emailAddress=dev@example.com'"
      .. " -keyout %s/key.pem -out %s/cert.pem -passout file:%s",
    dir, dir, password_file))
  local key, certificate = read_file(dir .. "/key.pem"), read_file(dir .. "/cert.pem")
  run_command("rm -rf " .. dir)
  return certificate, key
end

describe("secrets", function()
  local emulator, produced, secrets

  -- Records a piece of text the SDK produced, for the final search.
  local function keep(text)
    produced[#produced + 1] = tostring(text)
  end

  local function logger(level, message)
    keep(level .. " " .. message)
  end

  local function expect_error(f, ...)
    local ok, err = pcall(f, ...)
    assert.is_false(ok)
    assert.is_true(anaplan.errors.is(err), "expected an SDK error object, got " .. tostring(err))
    keep(tostring(err))
    keep(err.message)
    for _, problem in ipairs(err.errors or {}) do
      keep(problem.loc .. " " .. problem.msg)
    end
    keep(err.body_excerpt or "")
    return err
  end

  -- Exercises every kind of connection, a failing call of each kind and
  -- bad input carrying secrets, then closes the client.
  local function exercise(client)
    keep(tostring(client))
    local cw = client.cw

    local blob = cloud_works.ConnectionInput {
      type = "AzureBlob",
      body = cloud_works.AzureBlobConnectionInput {
        name = "secret-blob", storage_account_name = "acct", container_name = "c", sas_token = SAS_TOKEN,
      },
    }
    keep(tostring(blob))
    local blob_id = cw:create_connection(blob)
    cw:create_connection {
      type = "AmazonS3",
      body = { name = "secret-s3", accessKeyId = "AKIAEXAMPLE", secretAccessKey = SECRET_ACCESS_KEY, bucketName = "b" },
    }
    cw:create_connection {
      type = "GoogleBigQuery",
      body = {
        name = "secret-gbq", dataset = "d",
        serviceAccountKey = { type = "service_account", private_key = SERVICE_ACCOUNT_PRIVATE_KEY, client_email = "x@y.z" },
      },
    }
    cw:update_connection(blob_id, {
      name = "secret-blob", storageAccountName = "acct", containerName = "c", sasToken = SAS_TOKEN,
    })
    cw:patch_connection(blob_id, { sasToken = SAS_TOKEN })
    keep(#cw:list_connections())

    -- The server refuses a duplicate name: an http error after sending secrets.
    expect_error(cw.create_connection, cw, blob)
    -- Secret values of the wrong type or in the wrong place are refused locally.
    expect_error(cw.create_connection, cw, {
      type = "AzureBlob", body = { name = "x", storageAccountName = "a", containerName = "c", sasToken = { SAS_TOKEN } },
    })
    expect_error(cw.create_connection, cw, {
      type = "AzureBlob", body = { name = "x", storageAccountName = "a", containerName = "c", sasToken = SAS_TOKEN, extra = SAS_TOKEN },
    })
    expect_error(cw.create_connection, cw, {
      type = "AmazonS3", body = { name = "x", accessKeyId = "A", secretAccessKey = SECRET_ACCESS_KEY },
    })
    expect_error(cloud_works.AzureBlobConnectionInput, { name = "x", sas_token = SAS_TOKEN, auth_method = SAS_TOKEN })
    -- An unknown connection id: a 404 for an update that carries the SAS token.
    expect_error(cw.update_connection, cw, "0123456789abcdef0123456789abcdef", {
      name = "secret-blob", storageAccountName = "acct", containerName = "c", sasToken = SAS_TOKEN,
    })
    keep(tostring(client))
    client:close()
    keep(tostring(client))
    expect_error(cw.list_connections, cw)
  end

  emulator_hooks.share({ port = 0, password = PASSWORD }, function(started)
    emulator = started
  end)

  before_each(function()
    produced = {}
  end)

  -- Every secret in play, searched for in everything the SDK produced and
  -- in the emulator's request log.
  local function assert_no_secret_leaked(extra_secrets)
    secrets = { PASSWORD, SAS_TOKEN, SECRET_ACCESS_KEY, "GBQ-Secret-Key-5a5a", KEY_PASSWORD }
    for _, secret in ipairs(extra_secrets or {}) do
      secrets[#secrets + 1] = secret
    end
    for _, entry in ipairs(emulator:requests()) do
      keep(entry.body)
      for name, value in pairs(entry.headers) do
        keep(name .. ": " .. value)
      end
    end
    assert.is_true(#produced > 20, "too little output was collected to be a meaningful search")
    for i, secret in ipairs(secrets) do
      for _, text in ipairs(produced) do
        -- The message names the secret by its position, never by its value.
        assert.is_nil(text:find(secret, 1, true),
          string.format("secret #%d leaked into: %s", i, text:sub(1, 120):gsub(secret:gsub("%p", "%%%0"), "<secret>")))
      end
    end
  end

  it("never shows a password, SAS token, secret key or service-account key", function()
    local client = anaplan.Client {
      user_email = "dev@example.com", password = PASSWORD,
      auth_url = emulator.auth_url, cloudworks_url = emulator.cloudworks_url,
      logger = logger, log_level = "debug",
    }
    exercise(client)
    assert_no_secret_leaked()
  end)

  it("masks body secrets a server quotes back in its error", function()
    local client = anaplan.Client {
      user_email = "dev@example.com", password = PASSWORD,
      auth_url = emulator.auth_url, cloudworks_url = emulator.cloudworks_url,
      logger = logger, log_level = "debug",
    }
    local blob_id = client.cw:create_connection {
      type = "AzureBlob",
      body = { name = "quoted-blob", storageAccountName = "acct", containerName = "c", sasToken = SAS_TOKEN },
    }
    local cases = {
      { method = "POST", path = "/2/0/integrations/connections", call = function()
        return client.cw:create_connection {
          type = "AmazonS3",
          body = { name = "quoted-s3", accessKeyId = "AKIAEXAMPLE", secretAccessKey = SECRET_ACCESS_KEY, bucketName = "b" },
        }
      end },
      { method = "PUT", path = "/2/0/integrations/connections/" .. blob_id, call = function()
        return client.cw:update_connection(blob_id, {
          name = "quoted-blob", storageAccountName = "acct", containerName = "c", sasToken = SAS_TOKEN,
        })
      end },
      { method = "PATCH", path = "/2/0/integrations/connections/" .. blob_id, call = function()
        return client.cw:patch_connection(blob_id, {
          serviceAccountKey = { private_key = SERVICE_ACCOUNT_PRIVATE_KEY, client_email = "x@y.z" },
        })
      end },
    }
    for _, case in ipairs(cases) do
      emulator:fault { method = case.method, path = case.path, kind = "status", status = 500, echo_body = true }
      local err = expect_error(case.call)
      assert.are.equal("http", err.kind)
      assert.are.equal(500, err.status)
      -- The server did quote the body: the masked secret stands where it was.
      assert.truthy(err.api_message:find("***", 1, true), err.api_message)
    end
    client:close()
    assert_no_secret_leaked()
  end)

  it("never shows a wrong password in the login error", function()
    local client = anaplan.Client {
      user_email = "dev@example.com", password = PASSWORD .. "-wrong",
      auth_url = emulator.auth_url, cloudworks_url = emulator.cloudworks_url,
      logger = logger, log_level = "debug",
    }
    keep(tostring(client))
    local err = expect_error(client.cw.list_connections, client.cw)
    assert.are.equal("auth", err.kind)
    for _ = 1, 20 do
      keep(tostring(client))
    end
    client:close()
    assert_no_secret_leaked { PASSWORD .. "-wrong" }
  end)

  -- Logs in the way any HTTP client would and returns the token value.
  local function obtain_token()
    local http = require("anaplan.emulator.client")
    local emulator_auth = require("anaplan.emulator.auth")
    local status, _, body = http.request {
      host = emulator.host, port = emulator.port, method = "POST", path = "/token/authenticate",
      headers = { authorization = "Basic " .. emulator_auth.base64_encode("dev@example.com:" .. PASSWORD) },
    }
    assert.are.equal(201, status)
    return require("cjson").decode(body).tokenInfo.tokenValue
  end

  it("never shows a token it was given, valid or rejected", function()
    local token = obtain_token()
    assert.is_true(#token >= 16)
    exercise(anaplan.Client {
      token = token,
      auth_url = emulator.auth_url, cloudworks_url = emulator.cloudworks_url,
      logger = logger, log_level = "debug",
    })

    local rejected_token = "static-Token-Secret-0badf00d"
    local client = anaplan.Client {
      token = rejected_token,
      auth_url = emulator.auth_url, cloudworks_url = emulator.cloudworks_url,
      logger = logger, log_level = "debug",
    }
    keep(tostring(client))
    local err = expect_error(client.cw.list_connections, client.cw)
    assert.are.equal("auth", err.kind)
    client:close()
    assert_no_secret_leaked { token, rejected_token }
  end)

  it("never shows the private key or its password with certificate login", function()
    local certificate, key = make_certificate()
    local client = anaplan.Client {
      certificate = certificate, private_key = key, private_key_password = KEY_PASSWORD,
      auth_url = emulator.auth_url, cloudworks_url = emulator.cloudworks_url,
      logger = logger, log_level = "debug",
    }
    exercise(client)

    -- A wrong key password is caught when the client is made, before any request.
    local err = expect_error(anaplan.Client, {
      certificate = certificate, private_key = key, private_key_password = KEY_PASSWORD .. "-wrong",
      auth_url = emulator.auth_url, cloudworks_url = emulator.cloudworks_url,
      logger = logger, log_level = "debug",
    })
    assert.are.equal("auth", err.kind)

    local key_body = key:match("%-%-%-%-%-\n(.-)\n%-%-%-%-%-END")
    assert.is_truthy(key_body)
    assert_no_secret_leaked { KEY_PASSWORD .. "-wrong", key_body:sub(1, 40), key_body:sub(-40) }
  end)
end)
