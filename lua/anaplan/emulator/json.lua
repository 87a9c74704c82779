-- JSON for the emulator: lua-cjson decodes, this module encodes.
--
-- lua-cjson 2.1.0 (Debian 12) writes an empty table as {} and decodes every
-- number as a float, but the live API responds with `"jobs": []` and integer ids.
-- Tables built with json.array() or json.object() keep their kind when empty.
-- An unmarked empty table is written as an object, so mark every array that
-- may be empty.
local cjson = require("cjson")

local json = {}

local ARRAY = setmetatable({}, { __name = "json.array" })
local OBJECT = setmetatable({}, { __name = "json.object" })

-- Marks t (or a new table) as a JSON array and returns it.
function json.array(t)
  return setmetatable(t or {}, ARRAY)
end

-- Marks t (or a new table) as a JSON object and returns it.
function json.object(t)
  return setmetatable(t or {}, OBJECT)
end

function json.is_array(t)
  if getmetatable(t) == ARRAY then
    return true
  end
  if getmetatable(t) == OBJECT or next(t) == nil then
    return false
  end
  local count = 0
  for key in pairs(t) do
    if math.type(key) ~= "integer" or key < 1 then
      return false
    end
    count = count + 1
  end
  return count == #t
end

local escapes = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}

local function encode_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local encode_value

local function encode_table(t, out, depth)
  if depth > 64 then
    error("json.encode: nesting deeper than 64 levels", 0)
  end
  if json.is_array(t) then
    out[#out + 1] = "["
    for i = 1, #t do
      if i > 1 then
        out[#out + 1] = ","
      end
      encode_value(t[i], out, depth + 1)
    end
    out[#out + 1] = "]"
    return
  end

  local keys = {}
  for key in pairs(t) do
    if type(key) ~= "string" then
      error("json.encode: object key of type " .. type(key), 0)
    end
    keys[#keys + 1] = key
  end
  table.sort(keys)
  out[#out + 1] = "{"
  for i, key in ipairs(keys) do
    if i > 1 then
      out[#out + 1] = ","
    end
    out[#out + 1] = encode_string(key)
    out[#out + 1] = ":"
    encode_value(t[key], out, depth + 1)
  end
  out[#out + 1] = "}"
end

function encode_value(v, out, depth)
  local kind = type(v)
  if kind == "string" then
    out[#out + 1] = encode_string(v)
  elseif kind == "number" then
    if math.type(v) == "integer" then
      out[#out + 1] = string.format("%d", v)
    elseif v ~= v or v == math.huge or v == -math.huge then
      error("json.encode: number is not finite", 0)
    else
      out[#out + 1] = string.format("%.17g", v)
    end
  elseif kind == "boolean" then
    out[#out + 1] = tostring(v)
  elseif v == nil or v == cjson.null then
    out[#out + 1] = "null"
  elseif kind == "table" then
    encode_table(v, out, depth)
  else
    error("json.encode: cannot encode a " .. kind, 0)
  end
end

-- Returns the JSON text of v. Object keys are sorted, so output is stable.
function json.encode(v)
  local out = {}
  encode_value(v, out, 0)
  return table.concat(out)
end

-- Rewrites what lua-cjson decoded: integral floats become integers. JSON null
-- stays json.null, so a handler can tell `"x": null` from a missing field.
-- lua-cjson 2.1.0 decodes `[]` and `{}` alike, as an empty unmarked table.
local function normalize(v)
  if type(v) == "number" then
    if math.type(v) == "float" and v == math.floor(v) and v >= -2 ^ 53 and v <= 2 ^ 53 then
      return math.tointeger(v)
    end
    return v
  end
  if type(v) ~= "table" then
    return v
  end
  for key, item in pairs(v) do
    v[key] = normalize(item)
  end
  return v
end

json.null = cjson.null

-- Returns the decoded value, or nil and a message when text is not JSON.
function json.decode(text)
  local ok, value = pcall(cjson.decode, text)
  if not ok then
    return nil, tostring(value)
  end
  return normalize(value)
end

return json
