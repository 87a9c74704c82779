-- A small OpenAPI 3.0 checker for the conformance specs: a JSON decoder that
-- keeps what lua-cjson 2.1 loses, and a validator for the JSON-Schema subset
-- that the CloudWorks description uses.
--
-- lua-cjson reads the description itself. Request and response bodies go
-- through openapi.decode instead, because the checks need to tell an empty
-- array from an empty object, an integer from a float and null from absent.
--
-- Supported schema keywords: type, nullable, enum, properties, required,
-- additionalProperties, items, minItems, maxItems, minimum, maximum,
-- minLength, maxLength, format (date, date-time), oneOf, anyOf, allOf, not,
-- default and $ref. Any other keyword raises an error, so that a change in
-- the description cannot be skipped over without anyone noticing.
local cjson = require("cjson")

local openapi = {}

---------------------------------------------------------------------------
-- JSON decoding
---------------------------------------------------------------------------

-- JSON null, kept so that nullable fields can be checked.
openapi.NULL = setmetatable({}, {
  __name = "openapi.null",
  __tostring = function()
    return "null"
  end,
})

local ARRAY_MT = { __name = "openapi.array" }
local OBJECT_MT = { __name = "openapi.object" }

local decode_value

local function skip_space(text, pos)
  return text:find("[^ \t\r\n]", pos) or #text + 1
end

local function decode_error(text, pos, reason)
  error({ json_error = string.format("invalid JSON at byte %d: %s (near %q)", pos, reason,
    text:sub(pos, pos + 15)) }, 0)
end

local ESCAPES = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

local function decode_string(text, pos)
  local parts = {}
  local i = pos + 1
  while true do
    local stop = text:find('["\\%c]', i)
    if stop == nil then
      decode_error(text, pos, "unterminated string")
    end
    parts[#parts + 1] = text:sub(i, stop - 1)
    local c = text:sub(stop, stop)
    if c == '"' then
      return table.concat(parts), stop + 1
    end
    if c ~= "\\" then
      decode_error(text, stop, "control character inside a string")
    end
    local escape = text:sub(stop + 1, stop + 1)
    if ESCAPES[escape] then
      parts[#parts + 1] = ESCAPES[escape]
      i = stop + 2
    elseif escape == "u" then
      local hex = text:match("^%x%x%x%x", stop + 2)
      if hex == nil then
        decode_error(text, stop, "bad \\u escape")
      end
      local code = tonumber(hex, 16)
      i = stop + 6
      -- A high surrogate must be followed by a low one; together they are
      -- one code point outside the Basic Multilingual Plane.
      if code >= 0xD800 and code <= 0xDBFF then
        local low = text:match("^\\u(%x%x%x%x)", i)
        local low_code = low and tonumber(low, 16)
        if low_code == nil or low_code < 0xDC00 or low_code > 0xDFFF then
          decode_error(text, stop, "unpaired surrogate")
        end
        code = 0x10000 + (code - 0xD800) * 0x400 + (low_code - 0xDC00)
        i = i + 6
      elseif code >= 0xDC00 and code <= 0xDFFF then
        decode_error(text, stop, "unpaired surrogate")
      end
      parts[#parts + 1] = utf8.char(code)
    else
      decode_error(text, stop, "unknown escape")
    end
  end
end

local function decode_number(text, pos)
  local sign, int = text:match("^(%-?)(%d+)", pos)
  if int == nil or (#int > 1 and int:sub(1, 1) == "0") then
    decode_error(text, pos, "bad number")
  end
  local stop = pos + #sign + #int
  local fraction = text:match("^%.%d+", stop) or ""
  stop = stop + #fraction
  local exponent = text:match("^[eE][-+]?%d+", stop) or ""
  stop = stop + #exponent
  local literal = text:sub(pos, stop - 1)
  if fraction == "" and exponent == "" then
    local integer = math.tointeger(tonumber(literal))
    if integer ~= nil then
      return integer, stop
    end
  end
  return tonumber(literal) + 0.0, stop
end

local function decode_array(text, pos)
  local array = setmetatable({}, ARRAY_MT)
  pos = skip_space(text, pos + 1)
  if text:sub(pos, pos) == "]" then
    return array, pos + 1
  end
  while true do
    local value
    value, pos = decode_value(text, pos)
    array[#array + 1] = value
    pos = skip_space(text, pos)
    local c = text:sub(pos, pos)
    if c == "]" then
      return array, pos + 1
    end
    if c ~= "," then
      decode_error(text, pos, "expected ',' or ']'")
    end
    pos = skip_space(text, pos + 1)
  end
end

local function decode_object(text, pos)
  local object = setmetatable({}, OBJECT_MT)
  pos = skip_space(text, pos + 1)
  if text:sub(pos, pos) == "}" then
    return object, pos + 1
  end
  while true do
    if text:sub(pos, pos) ~= '"' then
      decode_error(text, pos, "expected a member name")
    end
    local key
    key, pos = decode_string(text, pos)
    if rawget(object, key) ~= nil then
      decode_error(text, pos, "member " .. key .. " given twice")
    end
    pos = skip_space(text, pos)
    if text:sub(pos, pos) ~= ":" then
      decode_error(text, pos, "expected ':'")
    end
    local value
    value, pos = decode_value(text, skip_space(text, pos + 1))
    object[key] = value
    pos = skip_space(text, pos)
    local c = text:sub(pos, pos)
    if c == "}" then
      return object, pos + 1
    end
    if c ~= "," then
      decode_error(text, pos, "expected ',' or '}'")
    end
    pos = skip_space(text, pos + 1)
  end
end

decode_value = function(text, pos)
  local c = text:sub(pos, pos)
  if c == "{" then
    return decode_object(text, pos)
  elseif c == "[" then
    return decode_array(text, pos)
  elseif c == '"' then
    return decode_string(text, pos)
  elseif c == "-" or c:match("%d") then
    return decode_number(text, pos)
  elseif text:sub(pos, pos + 3) == "true" then
    return true, pos + 4
  elseif text:sub(pos, pos + 4) == "false" then
    return false, pos + 5
  elseif text:sub(pos, pos + 3) == "null" then
    return openapi.NULL, pos + 4
  end
  decode_error(text, pos, "unexpected character")
end

-- Decodes JSON text. Arrays and objects come back as tables that carry
-- their kind (see openapi.is_array), integers without a fraction or an
-- exponent as Lua integers, null as openapi.NULL. Returns the value, or nil
-- and a message when text is not JSON.
function openapi.decode(text)
  local ok, value, pos = pcall(function()
    local v, p = decode_value(text, skip_space(text, 1))
    return v, skip_space(text, p)
  end)
  if not ok then
    if type(value) == "table" and value.json_error then
      return nil, value.json_error
    end
    error(value, 0)
  end
  if pos <= #text then
    return nil, string.format("invalid JSON at byte %d: text after the value", pos)
  end
  return value
end

local function is_null(value)
  return value == openapi.NULL or value == cjson.null
end

local function is_sequence(t)
  local count = 0
  for key in pairs(t) do
    if math.type(key) ~= "integer" or key < 1 then
      return false
    end
    count = count + 1
  end
  return count == #t
end

-- True for a decoded JSON array. A table that did not come from
-- openapi.decode counts as an array when it is a sequence (an empty table
-- is both an array and an object, as lua-cjson cannot tell them apart).
function openapi.is_array(value)
  if type(value) ~= "table" or is_null(value) then
    return false
  end
  local mt = getmetatable(value)
  if mt == ARRAY_MT then
    return true
  end
  if mt == OBJECT_MT then
    return false
  end
  return is_sequence(value)
end

function openapi.is_object(value)
  if type(value) ~= "table" or is_null(value) then
    return false
  end
  local mt = getmetatable(value)
  if mt == OBJECT_MT then
    return true
  end
  if mt == ARRAY_MT then
    return false
  end
  return next(value) == nil or not is_sequence(value)
end

---------------------------------------------------------------------------
-- Loading the description
---------------------------------------------------------------------------

local Document = {}
Document.__index = Document

-- Returns the first of candidates that is a readable file, or nil and a
-- message listing every place looked at.
function openapi.locate(candidates)
  for _, path in ipairs(candidates) do
    local file = io.open(path, "rb")
    if file then
      file:close()
      return path
    end
  end
  return nil, "no OpenAPI description found; looked at: " .. table.concat(candidates, ", ")
end

-- Returns the places a description file `name` of the shared CloudWorks
-- folder may be: the folder ANAPLAN_OPENAPI_DIR names, if set, then beside
-- the repository (../shared/cloudworks/ from its root), found from this
-- file's own path and from the working folder.
function openapi.candidates(name)
  local source = debug.getinfo(1, "S").source:match("^@(.*)$") or ""
  local helpers_dir = source:match("^(.*)/[^/]*$") or "."
  local candidates = {
    helpers_dir .. "/../../../shared/cloudworks/" .. name,
    "../shared/cloudworks/" .. name,
  }
  local dir = os.getenv("ANAPLAN_OPENAPI_DIR")
  if dir and dir ~= "" then
    table.insert(candidates, 1, dir .. "/" .. name)
  end
  return candidates
end

-- Declares a pending spec (with busted's pending function) in place of the
-- conformance specs when the description is missing, and returns true. A
-- clone does not carry the OpenAPI files, so outside CI their absence is
-- reported rather than failed; in CI (CI=true) it returns false and the
-- specs fail with the message.
function openapi.pending_without(path, missing, pending)
  if path or os.getenv("CI") == "true" then
    return false
  end
  pending(missing .. " (set ANAPLAN_OPENAPI_DIR to the folder that holds it)")
  return true
end

-- Reads an OpenAPI description with lua-cjson. Returns a document, or nil
-- and a message.
function openapi.load(path)
  local file, open_error = io.open(path, "rb")
  if not file then
    return nil, open_error
  end
  local text = file:read("a")
  file:close()
  local ok, decoded = pcall(cjson.decode, text)
  if not ok then
    return nil, string.format("%s is not JSON: %s", path, tostring(decoded))
  end
  if type(decoded) ~= "table" or type(decoded.paths) ~= "table" then
    return nil, path .. " has no paths object, so it is not an OpenAPI description"
  end
  return setmetatable({ spec = decoded, path = path }, Document)
end

-- Follows a local "$ref" ("#/components/schemas/Job") through the document.
function Document:resolve(node)
  local seen = 0
  while type(node) == "table" and node["$ref"] ~= nil do
    local ref = node["$ref"]
    if type(ref) ~= "string" or ref:sub(1, 2) ~= "#/" then
      error("unsupported $ref " .. tostring(ref) .. " (only local references are supported)", 0)
    end
    local target = self.spec
    for part in ref:sub(3):gmatch("[^/]+") do
      part = part:gsub("~1", "/"):gsub("~0", "~")
      target = type(target) == "table" and target[part] or nil
    end
    if target == nil then
      error("$ref " .. ref .. " points at nothing in " .. self.path, 0)
    end
    node = target
    seen = seen + 1
    if seen > 32 then
      error("$ref " .. ref .. " loops", 0)
    end
  end
  return node
end

local HTTP_METHODS = { "get", "put", "post", "delete", "patch", "head", "options", "trace" }

local function split_path(path)
  local segments = {}
  for segment in path:gmatch("[^/]+") do
    segments[#segments + 1] = segment
  end
  return segments
end

-- Returns every operation of the document as a list of
-- {method = "GET", template = "/integrations/{integrationId}", operation = ...}.
function Document:operations()
  local list = {}
  for template, item in pairs(self.spec.paths) do
    for _, method in ipairs(HTTP_METHODS) do
      if type(item[method]) == "table" then
        list[#list + 1] = { method = method:upper(), template = template, operation = item[method], item = item }
      end
    end
  end
  table.sort(list, function(a, b)
    if a.template ~= b.template then
      return a.template < b.template
    end
    return a.method < b.method
  end)
  return list
end

local function percent_decode(text)
  return (text:gsub("%%(%x%x)", function(hex)
    return string.char(tonumber(hex, 16))
  end))
end

-- Finds the operation that serves method and path (path without the base
-- URL's path and without the query). A template with more literal segments
-- wins, so /integrations/connections is not taken for /integrations/{id}.
-- Returns a match {method, template, operation, item, path_values}, or nil
-- and a message.
function Document:match(method, path)
  local segments = split_path(path)
  local best, best_score, tie
  for template, item in pairs(self.spec.paths) do
    local operation = item[method:lower()]
    local template_segments = split_path(template)
    if type(operation) == "table" and #template_segments == #segments then
      local values, score = {}, 0
      for i, part in ipairs(template_segments) do
        local name = part:match("^{(.+)}$")
        if name then
          values[name] = percent_decode(segments[i])
        elseif part == segments[i] then
          score = score + 1
        else
          values = nil
          break
        end
      end
      if values then
        if best_score == nil or score > best_score then
          best, best_score, tie = {
            method = method:upper(), template = template, operation = operation,
            item = item, path_values = values,
          }, score, nil
        elseif score == best_score then
          tie = template
        end
      end
    end
  end
  if best == nil then
    return nil, string.format("%s %s matches no operation of %s", method, path, self.path)
  end
  if tie then
    return nil, string.format("%s %s matches both %s and %s", method, path, best.template, tie)
  end
  return best
end

-- Returns the parameters of a match that sit in `place` ("path", "query"),
-- keyed by name: the path item's, overridden by the operation's.
function Document:parameters(match, place)
  local result = {}
  for _, list in ipairs({ match.item.parameters or {}, match.operation.parameters or {} }) do
    for _, parameter in ipairs(list) do
      parameter = self:resolve(parameter)
      if parameter["in"] == place then
        result[parameter.name] = parameter
      end
    end
  end
  return result
end

---------------------------------------------------------------------------
-- Schema validation
---------------------------------------------------------------------------

local ANNOTATIONS = {
  description = true, example = true, examples = true, title = true, format = true,
  deprecated = true, readOnly = true, writeOnly = true, externalDocs = true, xml = true,
  discriminator = true,
}

local CHECKED = {
  type = true, nullable = true, enum = true, properties = true, required = true,
  additionalProperties = true, items = true, minItems = true, maxItems = true,
  minimum = true, maximum = true, minLength = true, maxLength = true, oneOf = true,
  anyOf = true, allOf = true, ["not"] = true, default = true, ["$ref"] = true,
}

local function check_keywords(schema, loc)
  for keyword in pairs(schema) do
    if not CHECKED[keyword] and not ANNOTATIONS[keyword] and not tostring(keyword):match("^x%-") then
      error(string.format("schema at %s uses the keyword %q, which this checker does not support",
        loc, tostring(keyword)), 0)
    end
  end
end

local function describe(value)
  if is_null(value) then
    return "null"
  end
  if type(value) == "table" then
    return openapi.is_array(value) and "array" or "object"
  end
  if math.type(value) == "integer" then
    return "integer"
  end
  if type(value) == "string" then
    return string.format("string %q", #value > 40 and value:sub(1, 40) .. "..." or value)
  end
  return type(value) .. " " .. tostring(value)
end

local function has_type(value, expected)
  if expected == "string" then
    return type(value) == "string"
  elseif expected == "boolean" then
    return type(value) == "boolean"
  elseif expected == "number" then
    return type(value) == "number"
  elseif expected == "integer" then
    return type(value) == "number" and value == math.floor(value) and value == value
  elseif expected == "array" then
    return openapi.is_array(value)
  elseif expected == "object" then
    return openapi.is_object(value)
  elseif expected == "null" then
    return is_null(value)
  end
  error("unknown schema type " .. tostring(expected), 0)
end

local function enum_contains(enum, value)
  for _, allowed in ipairs(enum) do
    if allowed == value then
      return true
    end
  end
  return false
end

local function enum_text(enum)
  local parts = {}
  for _, allowed in ipairs(enum) do
    parts[#parts + 1] = string.format("%q", tostring(allowed))
  end
  return table.concat(parts, ", ")
end

local function check_format(value, format)
  if type(value) ~= "string" then
    return true
  end
  if format == "date" then
    return value:match("^%d%d%d%d%-%d%d%-%d%d$") ~= nil
  end
  if format == "date-time" then
    local rest = value:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d(.*)$")
    if rest == nil then
      return false
    end
    rest = rest:gsub("^%.%d+", "")
    return rest == "Z" or rest:match("^[-+]%d%d:%d%d$") ~= nil
  end
  return true
end

-- Collects the property names an object schema declares, through allOf.
function Document:declared_properties(schema, names)
  names = names or {}
  schema = self:resolve(schema)
  for name in pairs(schema.properties or {}) do
    names[name] = true
  end
  for _, branch in ipairs(schema.allOf or {}) do
    self:declared_properties(branch, names)
  end
  return names
end

local function allows_extra(schema)
  local extra = schema.additionalProperties
  return extra == true or type(extra) == "table"
end

-- Whether unknown members of an object are reported: with options.strict,
-- an object schema that lists its properties is taken as complete unless it
-- allows additional properties; additionalProperties = false always is.
local function closed(schema, options, loc)
  if options.unknown_judged_at == loc then
    return false
  end
  if schema.additionalProperties == false then
    return true
  end
  return options.strict and (schema.properties ~= nil or schema.allOf ~= nil) and not allows_extra(schema)
end

local validate

local function validate_object(self, value, schema, loc, options, problems)
  local required = {}
  for _, name in ipairs(schema.required or {}) do
    required[name] = true
    if value[name] == nil and not options.partial then
      problems[#problems + 1] = string.format("%s.%s is required but missing", loc, name)
    end
  end

  local masked = options.masked
  for name, property in pairs(schema.properties or {}) do
    local member = value[name]
    if masked and member == masked.value and masked.fields[name] then
      -- A secret masked in a log: only its presence can be checked.
      goto continue
    end
    if member ~= nil then
      validate(self, member, property, loc .. "." .. name, options, problems)
    elseif options.require_defaults and not options.partial and not required[name]
        and self:resolve(property).default ~= nil then
      problems[#problems + 1] = string.format(
        "%s.%s is missing, but the schema gives it a default, which the SDK fills in", loc, name)
    end
    ::continue::
  end

  if closed(schema, options, loc) or type(schema.additionalProperties) == "table" then
    local declared = self:declared_properties(schema)
    local names = {}
    for name in pairs(value) do
      if not declared[name] then
        names[#names + 1] = tostring(name)
      end
    end
    table.sort(names)
    for _, name in ipairs(names) do
      if type(schema.additionalProperties) == "table" then
        validate(self, value[name], schema.additionalProperties, loc .. "." .. name, options, problems)
      else
        problems[#problems + 1] = string.format("%s.%s is not declared in the schema", loc, name)
      end
    end
  end
end

local function validate_array(self, value, schema, loc, options, problems)
  if schema.minItems and #value < schema.minItems then
    problems[#problems + 1] = string.format("%s has %d item(s), fewer than the minimum of %d",
      loc, #value, math.tointeger(schema.minItems) or schema.minItems)
  end
  if schema.maxItems and #value > schema.maxItems then
    problems[#problems + 1] = string.format("%s has %d item(s), more than the maximum of %d",
      loc, #value, math.tointeger(schema.maxItems) or schema.maxItems)
  end
  if schema.items then
    for i, item in ipairs(value) do
      validate(self, item, schema.items, string.format("%s[%d]", loc, i), options, problems)
    end
  end
end

local function validate_scalar(value, schema, loc, problems)
  if type(value) == "number" then
    if schema.minimum and value < schema.minimum then
      problems[#problems + 1] = string.format("%s is %s, below the minimum of %s", loc, tostring(value),
        tostring(math.tointeger(schema.minimum) or schema.minimum))
    end
    if schema.maximum and value > schema.maximum then
      problems[#problems + 1] = string.format("%s is %s, above the maximum of %s", loc, tostring(value),
        tostring(math.tointeger(schema.maximum) or schema.maximum))
    end
  end
  if type(value) == "string" then
    if schema.minLength and utf8.len(value) and utf8.len(value) < schema.minLength then
      problems[#problems + 1] = string.format("%s is shorter than %d characters", loc, schema.minLength)
    end
    if schema.maxLength and utf8.len(value) and utf8.len(value) > schema.maxLength then
      problems[#problems + 1] = string.format("%s is longer than %d characters", loc, schema.maxLength)
    end
    if schema.format and not check_format(value, schema.format) then
      problems[#problems + 1] = string.format("%s is %s, which is not a valid %s", loc, describe(value), schema.format)
    end
  end
end

-- Validates value against each branch; returns how many accept it and the
-- problems of every branch that does not.
local function try_branches(self, value, branches, loc, options)
  local passed, reports = 0, {}
  for i, branch in ipairs(branches) do
    local branch_problems = {}
    validate(self, value, branch, loc, options, branch_problems)
    if #branch_problems == 0 then
      passed = passed + 1
    else
      local title = self:resolve(branch).title or ("alternative " .. i)
      reports[#reports + 1] = string.format("  as %s: %s", title, table.concat(branch_problems, "; "))
    end
  end
  return passed, reports
end

local function validate_combinators(self, value, schema, loc, options, problems)
  if schema.allOf then
    -- Each branch gets the whole object, so its unknown members are judged
    -- once, against the union of the branches, and not by each branch.
    local branch_options = setmetatable({ unknown_judged_at = loc }, { __index = options })
    for _, branch in ipairs(schema.allOf) do
      validate(self, value, branch, loc, branch_options, problems)
    end
  end

  if schema.oneOf then
    local passed, reports = try_branches(self, value, schema.oneOf, loc, options)
    -- A partial body (PATCH) can fit several alternatives at once.
    local ok = options.partial and passed >= 1 or passed == 1
    if not ok then
      if passed == 0 then
        problems[#problems + 1] = string.format("%s matches none of the %d alternatives (oneOf):\n%s",
          loc, #schema.oneOf, table.concat(reports, "\n"))
      else
        problems[#problems + 1] = string.format("%s matches %d alternatives, but oneOf needs exactly one",
          loc, passed)
      end
    end
  end

  if schema.anyOf then
    local passed, reports = try_branches(self, value, schema.anyOf, loc, options)
    if passed == 0 then
      problems[#problems + 1] = string.format("%s matches none of the %d alternatives (anyOf):\n%s",
        loc, #schema.anyOf, table.concat(reports, "\n"))
    end
  end

  if schema["not"] then
    local inner = {}
    validate(self, value, schema["not"], loc, setmetatable({ strict = false }, { __index = options }), inner)
    if #inner == 0 then
      problems[#problems + 1] = string.format("%s is %s, which the schema excludes (not)", loc, describe(value))
    end
  end
end

validate = function(self, value, schema, loc, options, problems)
  schema = self:resolve(schema)
  check_keywords(schema, loc)

  if is_null(value) then
    if not (schema.nullable or schema.type == "null") then
      problems[#problems + 1] = loc .. " is null, but the schema does not allow null"
    end
    return
  end

  if schema.type ~= nil and not has_type(value, schema.type) then
    problems[#problems + 1] = string.format("%s should be %s, got %s", loc, schema.type, describe(value))
    return
  end

  if schema.enum ~= nil and not enum_contains(schema.enum, value) then
    problems[#problems + 1] = string.format("%s is %s, not one of %s", loc, describe(value), enum_text(schema.enum))
  end

  validate_combinators(self, value, schema, loc, options, problems)

  if openapi.is_object(value) and (schema.properties or schema.required or schema.additionalProperties ~= nil
      or schema.allOf) then
    validate_object(self, value, schema, loc, options, problems)
  end
  if openapi.is_array(value) and next(value) ~= nil or schema.type == "array" then
    validate_array(self, value, schema, loc, options, problems)
  end
  validate_scalar(value, schema, loc, problems)
end

-- Validates value against schema and returns the list of problems (empty
-- when it conforms), each naming where it sits under loc. options:
--   strict: an object member that its schema does not declare is a problem
--   require_defaults: a missing member that has a default is a problem
--   partial: required members may be missing (a PATCH body)
--   masked: {value = "***", fields = {sasToken = true, ...}}: a member of
--     one of those names whose value is the mask is taken as valid, because
--     a request log replaces secrets with the mask
function Document:validate(value, schema, loc, options)
  local problems = {}
  validate(self, value, schema, loc or "value", options or {}, problems)
  return problems
end

-- Every default in the schema must itself be valid, or the file is wrong.
function Document:check_default(schema, loc)
  schema = self:resolve(schema)
  if schema.default == nil or is_null(schema.default) then
    return {}
  end
  local copy = {}
  for key, value in pairs(schema) do
    if key ~= "default" then
      copy[key] = value
    end
  end
  return self:validate(schema.default, copy, loc .. " (default)", {})
end

---------------------------------------------------------------------------
-- Checking requests and responses
---------------------------------------------------------------------------

-- Converts a query or path value to what its schema expects, or returns nil.
local function convert_parameter(text, schema)
  if schema.type == "integer" then
    return text:match("^%-?%d+$") and math.tointeger(tonumber(text)) or nil
  end
  if schema.type == "number" then
    return tonumber(text)
  end
  if schema.type == "boolean" then
    if text == "true" then
      return true
    elseif text == "false" then
      return false
    end
    return nil
  end
  return text
end

function Document:check_parameter(text, parameter, loc)
  local schema = self:resolve(parameter.schema or {})
  local value = convert_parameter(text, schema)
  if value == nil then
    return { string.format("%s is %q, which is not a valid %s", loc, text, schema.type) }
  end
  return self:validate(value, schema, loc, {})
end

-- Checks the path values of a match against their declared parameters.
function Document:check_path(match)
  local problems = {}
  local declared = self:parameters(match, "path")
  for name, text in pairs(match.path_values) do
    local parameter = declared[name]
    if parameter == nil then
      problems[#problems + 1] = string.format("path parameter %s of %s is not declared", name, match.template)
    else
      for _, problem in ipairs(self:check_parameter(text, parameter, "path." .. name)) do
        problems[#problems + 1] = problem
      end
    end
  end
  return problems
end

-- Checks a raw query string against the operation's query parameters.
-- extra maps names that the caller accepts beyond the description to their
-- schemas. Returns the list of problems.
function Document:check_query(match, query_string, extra)
  local problems = {}
  local declared = self:parameters(match, "query")
  local seen = {}
  for pair in (query_string or ""):gmatch("[^&]+") do
    local raw_name, raw_value = pair:match("^([^=]*)=?(.*)$")
    local name, value = percent_decode(raw_name), percent_decode(raw_value)
    local parameter = declared[name] or (extra and extra[name] and { name = name, schema = extra[name] })
    if seen[name] then
      problems[#problems + 1] = string.format("query parameter %s is sent twice", name)
    end
    seen[name] = true
    if parameter == nil then
      problems[#problems + 1] = string.format("query parameter %s is not declared for %s %s",
        name, match.method, match.template)
    else
      for _, problem in ipairs(self:check_parameter(value, parameter, "query." .. name)) do
        problems[#problems + 1] = problem
      end
    end
  end
  for name, parameter in pairs(declared) do
    if parameter.required and not seen[name] then
      problems[#problems + 1] = string.format("required query parameter %s is missing", name)
    end
  end
  return problems
end

local function json_schema_of(self, holder)
  holder = self:resolve(holder)
  local content = holder and holder.content
  local media = content and (content["application/json"] or content["application/json;charset=UTF-8"])
  return media and media.schema
end

-- Returns the JSON schema of the operation's request body, whether a body is
-- required, and whether the operation takes one at all.
function Document:request_schema(match)
  local body = match.operation.requestBody
  if body == nil then
    return nil, false, false
  end
  body = self:resolve(body)
  return json_schema_of(self, body), body.required == true, true
end

-- Checks a raw request body (nil or "" for none) against the operation:
-- strictly, so a member the schema does not declare is a problem, and with
-- every defaulted member expected. masked is as for Document:validate.
-- Returns the problems and the decoded body.
function Document:check_request_body(match, body_text, masked)
  local schema, required, takes_body = self:request_schema(match)
  if body_text == nil or body_text == "" then
    if required then
      return { string.format("%s %s requires a body, but none was sent", match.method, match.template) }
    end
    return {}
  end
  if not takes_body then
    return { string.format("%s %s takes no body, but one was sent", match.method, match.template) }
  end
  local body, decode_message = openapi.decode(body_text)
  if body == nil then
    return { "body is not JSON: " .. decode_message }
  end
  if schema == nil then
    return { string.format("%s %s has no JSON request schema", match.method, match.template) }, body
  end
  return self:validate(body, schema, "body", { strict = true, require_defaults = true, masked = masked }), body
end

-- Returns the JSON schema of the response with that status, or nil.
function Document:response_schema(match, status)
  local responses = match.operation.responses or {}
  local response = responses[tostring(status)] or responses[string.format("%dXX", status // 100)]
    or responses.default
  if response == nil then
    return nil
  end
  return json_schema_of(self, response)
end

-- Checks a decoded response against the schema of its status. Members the
-- schema does not list are allowed, because an API may add response fields
-- without a new version.
function Document:check_response(match, status, body)
  local responses = match.operation.responses or {}
  if responses[tostring(status)] == nil and responses.default == nil then
    return { string.format("%s %s does not declare a %d response", match.method, match.template, status) }
  end
  local schema = self:response_schema(match, status)
  if schema == nil then
    return { string.format("%s %s declares no JSON schema for a %d response", match.method, match.template, status) }
  end
  return self:validate(body, schema, "response", {})
end

return openapi
