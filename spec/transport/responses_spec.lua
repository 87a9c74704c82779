-- What a call returns or raises for each kind of response: decoded JSON
-- with integers and without null fields, empty bodies, raw bodies, HTTP
-- errors with their envelope or an excerpt, and the response size cap.
local core = require("anaplan.core")
local cjson = require("cjson")
local emulator_hooks = require("helpers.emulator")
local transport = require("helpers.transport")

local USER_EMAIL = "dev@example.com"
local PASSWORD = "responses-spec-password"

local catch = transport.catch

describe("session responses", function()
  local emulator, fixture

  emulator_hooks.share({ port = 0, password = PASSWORD, max_lifetime = 600 }, function(started)
    emulator = started
  end)

  transport.share_fixture_server(function(started)
    fixture = started
  end)

  local function emulator_session(options)
    local settings = { user_email = USER_EMAIL, password = PASSWORD, auth_url = emulator.auth_url,
      cloudworks_url = emulator.cloudworks_url, backoff = 0.01, timeout = 5 }
    for key, value in pairs(options or {}) do
      settings[key] = value
    end
    return core.session(settings)
  end

  local function fixture_session(options)
    local settings = { user_email = USER_EMAIL, password = PASSWORD, auth_url = fixture.url,
      cloudworks_url = fixture.cloudworks_url, backoff = 0.01, timeout = 5 }
    for key, value in pairs(options or {}) do
      settings[key] = value
    end
    return core.session(settings)
  end

  describe("JSON decoding", function()
    it("turns integral numbers into integers", function()
      local session = fixture_session()
      local numbers = session:request("GET", "/numbers")
      assert.are.equal("integer", math.type(numbers.small))
      assert.are.equal(3, numbers.small)
      assert.are.equal("integer", math.type(numbers.negative))
      assert.are.equal("integer", math.type(numbers.exponent))
      assert.are.equal(1000, numbers.exponent)
      assert.are.equal("integer", math.type(numbers.limit))
      assert.are.equal(9007199254740992, numbers.limit)
      assert.are.equal("integer", math.type(session:request("GET", "/top-number")))
      session:close()
    end)

    it("keeps fractions and numbers past 2^53 as floats", function()
      local session = fixture_session()
      local numbers = session:request("GET", "/numbers")
      assert.are.equal("float", math.type(numbers.float))
      assert.are.equal(2.5, numbers.float)
      assert.are.equal("float", math.type(numbers.past_limit))
      assert.are.equal("float", math.type(numbers.huge))
      session:close()
    end)

    it("removes null fields from objects only", function()
      local session = fixture_session()
      local nested = session:request("GET", "/numbers").nested
      assert.is_nil(nested.gone)
      assert.is_true(nested.kept)
      assert.are.equal(3, #nested.list)
      assert.are.equal(1, nested.list[1])
      assert.are.equal(cjson.null, nested.list[2])
      assert.are.equal("integer", math.type(nested.list[3]))
      session:close()
    end)

    it("removes the null fields of an emulator connection", function()
      local session = emulator_session()
      session:request("POST", "/integrations/connections", cjson.encode({ type = "AzureBlob",
        body = { name = "responses", storageAccountName = "account", containerName = "box",
          sasToken = "sp=r&sig=c3BlYw", auth_method = "SAS-based" } }))
      local response = session:request("GET", "/integrations/connections")
      local connection = response.connections[1]
      assert.are.equal("AzureBlob", connection.connectionType)
      assert.is_nil(connection.integrationErrorCode)
      assert.is_nil(connection.workspaceId)
      assert.are.equal("integer", math.type(connection.status))
      assert.are.equal("integer", math.type(response.meta.paging.totalSize))
      assert.are.equal("integer", math.type(response.status.code))
      session:close()
    end)
  end)

  describe("bodies", function()
    it("gives an empty table for an empty 200", function()
      local session = fixture_session()
      assert.are.same({}, session:request("GET", "/empty"))
      session:close()
    end)

    it("gives an empty table for a blank 200", function()
      local session = fixture_session()
      assert.are.same({}, session:request("GET", "/blank"))
      session:close()
    end)

    it("gives an empty table for a 204", function()
      local session = fixture_session()
      assert.are.same({}, session:request("GET", "/no-content"))
      session:close()
    end)

    it("returns the body as a string when raw", function()
      local session = fixture_session()
      assert.are.equal("line one\nline two\n", session:request("GET", "/text", nil, true))
      session:close()
    end)

    it("raises http for a 2xx body that is not JSON", function()
      local session = emulator_session()
      emulator:fault({ method = "GET", path = "/2/0/integrations/connections", count = 1, kind = "bad_json" })
      local err = catch(session.request, session, "GET", "/integrations/connections")
      assert.are.equal("http", err.kind)
      assert.are.equal(200, err.status)
      assert.matches("^request %(GET /integrations/connections%) failed: HTTP 200 returned a body that is "
        .. "not JSON: <html>", err.message)
      assert.are.equal("<html><body><h1>Service temporarily unavailable</h1></body></html>", err.body_excerpt)
      session:close()
    end)
  end)

  describe("HTTP errors", function()
    it("carry the CloudWorks envelope", function()
      local session = emulator_session()
      local err = catch(session.request, session, "POST", "/integrations/connections", "{}")
      assert.are.equal("http", err.kind)
      assert.are.equal(400, err.status)
      assert.are.equal(400, err.code)
      assert.are.equal("string", type(err.api_message))
      assert.are.equal("request (POST /integrations/connections) failed: HTTP 400 " .. err.api_message,
        err.message)
      assert.are.equal("POST", err.method)
      assert.are.equal("/integrations/connections", err.path)
      assert.are.equal("request", err.operation)
      assert.is_nil(err.body_excerpt)
      session:close()
    end)

    it("carry an excerpt of an HTML 404", function()
      local session = emulator_session()
      local err = catch(session.request, session, "GET", "/integrations/run/0123456789abcdef0123456789abcdef/dump")
      assert.are.equal("http", err.kind)
      assert.are.equal(404, err.status)
      assert.is_nil(err.code)
      assert.matches("^<!DOCTYPE html>", err.body_excerpt)
      assert.is_nil(err.body_excerpt:find("[%c]"))
      assert.matches("failed: HTTP 404 Not Found %(the response body is not JSON: <!DOCTYPE html>", err.message)
      session:close()
    end)

    it("drop control characters from the excerpt", function()
      local session = fixture_session()
      local err = catch(session.request, session, "GET", "/control-500")
      assert.are.equal(500, err.status)
      assert.are.equal("<h1>Bad gateway</h1> <p>try later</p>", err.body_excerpt)
      session:close()
    end)

    it("cut the excerpt at 200 bytes without splitting a character", function()
      local session = fixture_session()
      local err = catch(session.request, session, "GET", "/long-404")
      assert.are.equal(199, #err.body_excerpt)
      assert.matches("^<html>a+$", err.body_excerpt)
      session:close()
    end)

    it("use the envelope of a JSON 404", function()
      local session = fixture_session()
      local err = catch(session.request, session, "GET", "/json-404")
      assert.are.equal(404, err.code)
      assert.are.equal("Resource not found", err.api_message)
      assert.are.equal("request (GET /json-404) failed: HTTP 404 Resource not found", err.message)
      session:close()
    end)

    it("do not follow a redirect", function()
      local session = fixture_session()
      local err = catch(session.request, session, "GET", "/redirect")
      assert.are.equal("http", err.kind)
      assert.are.equal(302, err.status)
      assert.are.equal("request (GET /redirect) failed: HTTP 302 Found", err.message)
      session:close()
    end)
  end)

  describe("max_response_size", function()
    it("aborts a response with a longer Content-Length", function()
      local setup_session = emulator_session()
      for i = 1, 4 do
        setup_session:request("POST", "/integrations/connections", cjson.encode({ type = "AzureBlob",
          body = { name = "cap-" .. i, storageAccountName = "account", containerName = "box",
            sasToken = "sp=r&sig=c3BlYw", auth_method = "SAS-based" } }))
      end
      assert.is_true(#setup_session:request("GET", "/integrations/connections", nil, true) > 1000)
      setup_session:close()

      -- The login response is shorter than 1000 bytes; the list is not.
      local session = emulator_session({ max_response_size = 1000 })
      local err = catch(session.request, session, "GET", "/integrations/connections")
      assert.are.equal("network", err.kind)
      assert.are.equal("request failed: response to GET /integrations/connections exceeded "
        .. "max_response_size (1000 bytes)", err.message)
      session:close()
    end)

    it("aborts a chunked response once it passes the limit", function()
      local session = fixture_session({ max_response_size = 2500 })
      local err = catch(session.request, session, "GET", "/chunked")
      assert.are.equal("network", err.kind)
      assert.are.equal("request failed: response to GET /chunked exceeded max_response_size (2500 bytes)",
        err.message)
      session:close()
    end)

    it("accepts a response of exactly the limit", function()
      local session = fixture_session({ max_response_size = 5000 })
      local err = catch(session.request, session, "GET", "/chunked")
      -- The body arrives whole; it is not JSON, which proves it was read.
      assert.are.equal("http", err.kind)
      assert.are.equal(200, err.status)
      session:close()
    end)
  end)

  describe("login response", function()
    for _, prefix in ipairs({ "/huge-expiry", "/negative-expiry" }) do
      it("ignores an expiresAt out of range (" .. prefix .. ")", function()
        local session = fixture_session({ auth_url = fixture.url .. prefix })
        assert.are.equal(3, session:request("GET", "/numbers").small)
        local info = session:token_info()
        assert.is_true(info.has_token)
        assert.is_nil(info.expiresAt)
        session:close()
      end)
    end
  end)

  describe("request", function()
    it("rejects an unknown method", function()
      local session = fixture_session()
      local err = catch(session.request, session, "FETCH", "/numbers")
      assert.are.equal("validation", err.kind)
      assert.are.equal("request.method", err.errors[1].loc)
      session:close()
    end)

    it("rejects a path that could change the URL", function()
      local session = fixture_session()
      for _, path in ipairs({ "numbers", "/a b", "/a\r\nX: 1", "/a#b", "" }) do
        local err = catch(session.request, session, "GET", path)
        assert.are.equal("validation", err.kind)
        assert.are.equal("request.path", err.errors[1].loc)
      end
      session:close()
    end)

    it("rejects a body that is not a string", function()
      local session = fixture_session()
      local err = catch(session.request, session, "POST", "/numbers", { a = 1 })
      assert.are.equal("request.body", err.errors[1].loc)
      session:close()
    end)
  end)
end)
