-- The OpenAPI checker itself, run on hand-made requests against the real
-- description, so that the conformance spec is known to fail on a body the
-- live API would reject.
local openapi = require("helpers.openapi")

local path, missing = openapi.locate(openapi.candidates("cloudworks-openapi.json"))
if openapi.pending_without(path, missing, pending) then
  return
end

local ID = "0123456789abcdef0123456789abcdef"

local AZURE_BODY = '{"type":"AzureBlob","body":{"name":"n","storageAccountName":"s",'
  .. '"containerName":"c","sasToken":"t","auth_method":"SAS-based"}}'

describe("OpenAPI checker", function()
  local document

  setup(function()
    if path then
      document = assert(openapi.load(path))
    end
  end)

  -- Fails a test that needs the description when it was not found.
  local function require_description()
    assert(path, missing)
  end

  local function body_problems(method, route, text)
    local match = assert(document:match(method, route))
    return (document:check_request_body(match, text))
  end

  describe("locate", function()
    it("names every place it looked when the file is missing", function()
      local found, message = openapi.locate({ "/nonexistent/a.json", "missing/b.json" })

      assert.is_nil(found)
      assert.truthy(message:find("/nonexistent/a.json", 1, true))
      assert.truthy(message:find("missing/b.json", 1, true))
    end)

    it("looks beside the repository for the shared folder", function()
      local candidates = openapi.candidates("cloudworks-openapi.json")

      assert.are.equal("../shared/cloudworks/cloudworks-openapi.json", candidates[#candidates])
      assert.truthy(candidates[#candidates - 1]:find("/../../../shared/cloudworks/cloudworks-openapi.json", 1, true))
    end)
  end)

  describe("decode", function()
    it("tells an empty array from an empty object", function()
      local value = openapi.decode('{"a":[],"b":{}}')

      assert.is_true(openapi.is_array(value.a))
      assert.is_false(openapi.is_object(value.a))
      assert.is_true(openapi.is_object(value.b))
      assert.is_false(openapi.is_array(value.b))
    end)

    it("keeps integers, floats and null apart", function()
      local value = openapi.decode('[1, 1.5, -20, 1e2, null]')

      assert.are.equal("integer", math.type(value[1]))
      assert.are.equal("float", math.type(value[2]))
      assert.are.equal(-20, value[3])
      assert.are.equal("float", math.type(value[4]))
      assert.are.equal(openapi.NULL, value[5])
    end)

    it("decodes escapes and surrogate pairs", function()
      assert.are.equal('a"b\\/\n\u{e9}\u{1F600}', openapi.decode('"a\\"b\\\\\\/\\n\\u00e9\\ud83d\\ude00"'))
    end)

    it("rejects text that is not JSON", function()
      for _, text in ipairs({ "", "[1,]", "{'a':1}", "01", '{"a":1} x', '"\\ud800"', '{"a":1,"a":2}' }) do
        local value, message = openapi.decode(text)
        assert.is_nil(value, "accepted " .. text)
        assert.is_string(message)
      end
    end)
  end)

  describe("match", function()
    before_each(require_description)

    it("prefers a literal segment over a path parameter", function()
      local match = assert(document:match("GET", "/integrations/connections"))

      assert.are.equal("/integrations/connections", match.template)
    end)

    it("captures path parameters", function()
      local match = assert(document:match("GET", "/integrations/run/" .. ID .. "/process/import/112000000001/dumps"))

      assert.are.same({ runId = ID, actionId = "112000000001" }, match.path_values)
    end)

    it("finds no operation for an unknown path or method", function()
      assert.is_nil((document:match("GET", "/integrations/" .. ID .. "/dump")))
      assert.is_nil((document:match("PATCH", "/integrations")))
    end)

    it("checks a path parameter's enum", function()
      local match = assert(document:match("POST", "/integrations/" .. ID .. "/schedule/status/paused"))

      assert.are.equal(1, #document:check_path(match))
    end)
  end)

  describe("request bodies", function()
    before_each(require_description)

    it("accepts a valid AzureBlob connection", function()
      assert.are.same({}, body_problems("POST", "/integrations/connections", AZURE_BODY))
    end)

    it("rejects authMethod in place of auth_method", function()
      local text = AZURE_BODY:gsub('"auth_method"', '"authMethod"')

      local problems = body_problems("POST", "/integrations/connections", text)

      assert.are.equal(1, #problems)
      assert.truthy(problems[1]:find("body.body.authMethod is not declared", 1, true))
    end)

    it("rejects a member no alternative declares", function()
      local text = AZURE_BODY:gsub('"name":"n"', '"name":"n","colour":"blue"')

      assert.are.equal(1, #body_problems("POST", "/integrations/connections", text))
    end)

    it("rejects an action id sent as a number", function()
      local text = '{"name":"i","version":"2.0","workspaceId":"w","modelId":"M","nuxVisible":false,'
        .. '"jobs":[{"type":"AzureBlobToAnaplan","sources":[{"type":"AzureBlob","connectionId":"c","file":"f"}],'
        .. '"targets":[{"type":"Anaplan","actionId":112000000001,"fileId":"1"}]}]}'

      local problems = body_problems("POST", "/integrations", text)

      assert.are.equal(1, #problems)
      assert.truthy(problems[1]:find("body.jobs[1].targets[1].actionId should be string", 1, true))
    end)

    it("rejects a missing member that has a default", function()
      local text = '{"name":"i","version":"2.0","workspaceId":"w","modelId":"M","processId":"1"}'

      local problems = body_problems("POST", "/integrations", text)

      assert.are.equal(1, #problems)
      assert.truthy(problems[1]:find("body.nuxVisible is missing", 1, true))
    end)

    it("rejects an object where an array belongs, and too few steps", function()
      local text = '{"name":"f","version":"2.0","type":"IntegrationFlow","steps":[{"type":"Integration",'
        .. '"referrer":"r","dependsOn":{},"isSkipped":false,"exceptionBehavior":[]}]}'

      local problems = body_problems("POST", "/integrationflows", text)

      assert.are.equal(2, #problems)
    end)

    it("rejects a value outside an enum", function()
      local text = '{"integrationIds":["i"],"channels":["sms"],"notifications":{"config":[]}}'

      local problems = body_problems("POST", "/integrations/notification", text)

      assert.are.equal(1, #problems)
      assert.truthy(problems[1]:find("body.channels[1]", 1, true))
    end)

    it("rejects a missing required member inside a $ref", function()
      local text = '{"schedule":{"name":"s","type":"daily","time":"08:00","startDate":"2026-01-01",'
        .. '"endDate":"2026-02-01"}}'

      local problems = body_problems("POST", "/integrations/" .. ID .. "/schedule", text)

      assert.are.same({ "body.schedule.timezone is required but missing" }, problems)
    end)

    it("takes a masked secret as valid only where asked", function()
      local match = assert(document:match("POST", "/integrations/connections"))
      local text = '{"type":"GoogleBigQuery","body":{"name":"n","dataset":"d","serviceAccountKey":"***"}}'
      local masked = { value = "***", fields = { serviceAccountKey = true } }
      local other_field = { value = "***", fields = { sasToken = true } }

      assert.are.same({}, (document:check_request_body(match, text, masked)))
      assert.are.equal(1, #document:check_request_body(match, text, other_field))
      assert.are.equal(1, #document:check_request_body(match, text))
    end)

    it("requires a body where the operation requires one", function()
      assert.are.equal(1, #body_problems("POST", "/integrations", ""))
    end)

    it("rejects a body on an operation that takes none", function()
      assert.are.equal(1, #body_problems("DELETE", "/integrations/" .. ID, "{}"))
    end)

    it("accepts no body where the body is optional", function()
      assert.are.same({}, body_problems("POST", "/integrationflows/" .. ID .. "/run", ""))
      assert.are.same({}, body_problems("POST", "/integrationflows/" .. ID .. "/run", '{"stepsToRun":["' .. ID .. '"]}'))
    end)

    it("lets a partial body leave out required members but not add unknown ones", function()
      local match = assert(document:match("POST", "/integrations/connections"))
      local schema = document:request_schema(match)

      local partial = { type = "AzureBlob", body = { containerName = "c" } }
      local unknown = { type = "AzureBlob", body = { container = "c" } }

      assert.are.same({}, document:validate(partial, schema, "body", { strict = true, partial = true }))
      assert.are_not.same({}, document:validate(unknown, schema, "body", { strict = true, partial = true }))
    end)
  end)

  describe("query strings", function()
    before_each(require_description)

    it("accepts declared parameters and rejects others", function()
      local match = assert(document:match("GET", "/integrations"))

      assert.are.same({}, document:check_query(match, "limit=10&offset=0&sortBy=-name&myIntegrations=1"))
      assert.are.equal(1, #document:check_query(match, "limit=10&mine=1"))
      assert.are.equal(1, #document:check_query(match, "myIntegrations=2"))
      assert.are.equal(1, #document:check_query(match, "limit=ten"))
    end)

    it("requires the parameters marked required", function()
      local match = assert(document:match("GET", "/integrations/runs/" .. ID))

      assert.are.equal(2, #document:check_query(match, ""))
    end)

    it("accepts extra parameters the caller declares", function()
      local match = assert(document:match("GET", "/integrations/connections"))

      assert.are.equal(2, #document:check_query(match, "limit=5&offset=0"))
      assert.are.same({}, document:check_query(match, "limit=5&offset=0",
        { limit = { type = "integer" }, offset = { type = "integer" } }))
    end)
  end)

  describe("responses", function()
    before_each(require_description)

    it("allows members the schema does not list", function()
      local match = assert(document:match("GET", "/integrations/run/" .. ID))
      local response = openapi.decode('{"status":{"code":200,"message":"Success"},"run":{"id":"r",'
        .. '"startDate":"2026-01-01T00:00:00.000Z","executionErrorCode":null,"newField":true}}')

      assert.are.same({}, document:check_response(match, 200, response))
    end)

    it("reports wrong types, bad dates and null where null is not allowed", function()
      local match = assert(document:match("GET", "/integrations/run/" .. ID))
      local response = openapi.decode('{"status":{"code":"200"},"run":{"id":5,'
        .. '"startDate":"yesterday","success":null}}')

      assert.are.equal(4, #document:check_response(match, 200, response))
    end)

    it("follows allOf into both parts", function()
      local match = assert(document:match("GET", "/integrations/" .. ID))
      local response = openapi.decode('{"status":{"code":200},"integration":{"name":7,"jobs":{"type":"x"}}}')

      assert.are.equal(2, #document:check_response(match, 200, response))
    end)
  end)

  describe("the description", function()
    before_each(require_description)

    it("has valid defaults everywhere", function()
      local problems = {}
      local function walk(node, loc, depth)
        if type(node) ~= "table" or depth > 40 then
          return
        end
        if node.default ~= nil and (node.type ~= nil or node.enum ~= nil) then
          for _, problem in ipairs(document:check_default(node, loc)) do
            problems[#problems + 1] = problem
          end
        end
        for key, child in pairs(node) do
          walk(child, loc .. "." .. tostring(key), depth + 1)
        end
      end
      walk(document.spec, "openapi", 0)

      assert.are.same({}, problems)
    end)
  end)
end)
