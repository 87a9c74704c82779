-- Helpers shared by the CloudWorks route handlers: envelopes, identifiers,
-- time formats, paging and request body checks.
local json = require("anaplan.emulator.json")

local common = {}

common.LOWER_HEX_ID = "^" .. string.rep("[0-9a-f]", 32) .. "$"
common.UPPER_HEX_ID = "^" .. string.rep("[0-9A-F]", 32) .. "$"
common.NUMERIC_ID = "^%d+$"

common.ID_DESCRIPTION = "32 lowercase hexadecimal characters"
common.MODEL_ID_DESCRIPTION = "32 uppercase hexadecimal characters"
common.NUMERIC_DESCRIPTION = "a string of digits"

-- The Checker spec of a required id of 32 lowercase hexadecimal characters.
common.ID_SPEC = { type = "string", required = true, pattern = common.LOWER_HEX_ID, description = common.ID_DESCRIPTION }

-- The API description gives 25 as the page size of GET /integrations without
-- `limit`. The emulator uses the same default for every list.
common.DEFAULT_PAGE_SIZE = 25

------------------------------------------------------------------------------
-- Envelopes

-- Returns 200 and the success envelope merged with the payload fields.
function common.success(payload)
  local body = { status = { code = 200, message = "Success" } }
  for key, value in pairs(payload or {}) do
    body[key] = value
  end
  return 200, body
end

-- Returns an error status and its envelope. `details` lists what is wrong,
-- one "field: problem" string each. The live API sends `status` and at most
-- `path` and `timestamp`, so `details` is an emulator addition.
function common.failure(code, message, details)
  local body = { status = { code = code, message = message } }
  if details and #details > 0 then
    body.details = json.array(details)
  end
  return code, body
end

function common.invalid_body(details)
  return common.failure(400, "Invalid request body", details)
end

function common.invalid_query(details)
  return common.failure(400, "Invalid query parameter", details)
end

function common.not_found(resource)
  return common.failure(404, resource .. " not found")
end

function common.conflict(message)
  return common.failure(409, message)
end

------------------------------------------------------------------------------
-- Times

-- Formats epoch seconds as ISO 8601 UTC with milliseconds, the live API's
-- run and record date format: 2026-06-19T01:30:16.123Z.
function common.iso_time(seconds)
  local millis = math.floor(seconds * 1000)
  local whole = millis // 1000
  return os.date("!%Y-%m-%dT%H:%M:%S", whole) .. string.format(".%03dZ", millis % 1000)
end

-- Formats epoch seconds the way flow steps report createdDate and
-- modifiedDate: 2026-06-19 01:30:16.123456+00:00 (not ISO 8601).
function common.flow_step_time(seconds)
  local micros = math.floor(seconds * 1000000)
  local whole = micros // 1000000
  return os.date("!%Y-%m-%d %H:%M:%S", whole) .. string.format(".%06d+00:00", micros % 1000000)
end

local function is_leap_year(year)
  return (year % 4 == 0 and year % 100 ~= 0) or year % 400 == 0
end

local DAYS_IN_MONTH = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

-- Returns year, month, day of a "YYYY-MM-DD" calendar date, or nil.
function common.parse_date(text)
  local year, month, day = text:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if not year then
    return nil
  end
  year, month, day = tonumber(year), tonumber(month), tonumber(day)
  if month < 1 or month > 12 or day < 1 then
    return nil
  end
  local last = DAYS_IN_MONTH[month]
  if month == 2 and is_leap_year(year) then
    last = 29
  end
  if day > last then
    return nil
  end
  return year, month, day
end

-- Returns true when text is a 24-hour "HH:MM" time.
function common.is_clock_time(text)
  local hours, minutes = text:match("^(%d%d):(%d%d)$")
  return hours ~= nil and tonumber(hours) < 24 and tonumber(minutes) < 60
end

------------------------------------------------------------------------------
-- Tables

function common.contains(list, value)
  for _, item in ipairs(list) do
    if item == value then
      return true
    end
  end
  return false
end

-- Returns a deep copy of a decoded JSON value. A copied non-empty sequence
-- is marked as a JSON array. A decoded empty table may have been [] or {},
-- so it stays an object, and fields that are arrays use array_copy instead.
function common.copy(value)
  if type(value) ~= "table" then
    return value
  end
  local out = {}
  for key, item in pairs(value) do
    out[key] = common.copy(item)
  end
  local marker = getmetatable(value)
  if marker then
    return setmetatable(out, marker)
  end
  if next(out) ~= nil and json.is_array(out) then
    return json.array(out)
  end
  return out
end

function common.array_copy(list)
  local out = json.array()
  for i, item in ipairs(list or {}) do
    out[i] = common.copy(item)
  end
  return out
end

-- Returns the values of `map` ordered by their `seq` field, oldest first.
function common.by_creation(map)
  local items = {}
  for _, item in pairs(map) do
    items[#items + 1] = item
  end
  table.sort(items, function(a, b)
    return a.seq < b.seq
  end)
  return items
end

------------------------------------------------------------------------------
-- Paging

local function parse_count(query, key, minimum, problems)
  local text = query[key]
  if text == nil or text == "" then
    return nil
  end
  if type(text) ~= "string" or not text:match("^%d+$") then
    problems[#problems + 1] = key .. ": must be a non-negative integer"
    return nil
  end
  local value = math.tointeger(tonumber(text))
  if value == nil or value < minimum then
    problems[#problems + 1] = key .. ": must be at least " .. minimum
    return nil
  end
  return value
end

-- Reads `limit` and `offset` from the query and returns them, adding any
-- problem to `problems`. The page size never exceeds `page_cap`: the live
-- API also cuts pages below the requested limit without saying so.
function common.paging_window(query, page_cap, problems)
  local limit = parse_count(query, "limit", 1, problems)
  local offset = parse_count(query, "offset", 0, problems)
  return math.min(limit or common.DEFAULT_PAGE_SIZE, page_cap), offset or 0
end

-- Returns true for myIntegrations=1, false when it is 0 or absent, and adds
-- a problem to `problems` for any other value.
local function parse_mine_only(query, problems)
  local value = query.myIntegrations
  if value ~= nil and value ~= "0" and value ~= "1" then
    problems[#problems + 1] = "myIntegrations: must be 0 or 1"
  end
  return value == "1"
end

-- Reads myIntegrations, limit and offset from the query of a list of
-- integrations or flows, adding any problem to `problems`. Returns the
-- records of `map` in creation order (for myIntegrations=1 only those the
-- signed-in user created), the page size and the offset.
function common.select_for_list(map, ctx, page_cap, problems)
  local query = ctx.req.query
  local mine_only = parse_mine_only(query, problems)
  local limit, offset = common.paging_window(query, page_cap, problems)
  local selected = {}
  for _, record in ipairs(common.by_creation(map)) do
    if not mine_only or record.created_by_id == ctx.user.id then
      selected[#selected + 1] = record
    end
  end
  return selected, limit, offset
end

-- Returns the page of `items` (a JSON array) and the `meta.paging` table.
function common.page(items, limit, offset)
  local page = json.array()
  for i = offset + 1, math.min(#items, offset + limit) do
    page[#page + 1] = items[i]
  end
  return page, { currentPageSize = #page, totalSize = #items, offset = offset }
end

------------------------------------------------------------------------------
-- Request body checks

-- A Checker collects every problem found in a request body, so that one 400
-- lists them all. Messages name the field and never repeat a submitted value,
-- except the wrong value of an enumerated field. No secret field is
-- enumerated, so that value is shown to help the caller.
local Checker = {}
Checker.__index = Checker

function common.checker()
  return setmetatable({ problems = {} }, Checker)
end

function Checker:add(path, problem)
  self.problems[#self.problems + 1] = path .. ": " .. problem
end

function Checker:ok()
  return #self.problems == 0
end

-- Returns the JSON kind of a decoded value: "null", "string", "boolean",
-- "integer", "float", "object", "array", or "empty" for {} and [], which
-- lua-cjson 2.1 decodes alike.
function common.kind_of(value)
  if value == nil or value == json.null then
    return "null"
  end
  local lua_type = type(value)
  if lua_type == "table" then
    if next(value) == nil then
      return "empty"
    end
    return json.is_array(value) and "array" or "object"
  end
  if lua_type == "number" then
    return math.type(value) == "integer" and "integer" or "float"
  end
  return lua_type
end

local function check_string(self, value, path, spec)
  if spec.allow_empty ~= true and value == "" then
    self:add(path, "must not be empty")
    return nil
  end
  if spec.enum and not common.contains(spec.enum, value) then
    self:add(path, "must be one of " .. table.concat(spec.enum, ", ") .. ", not '" .. value .. "'")
    return nil
  end
  if spec.pattern and not value:match(spec.pattern) then
    self:add(path, "must be " .. spec.description)
    return nil
  end
  if spec.test and not spec.test(value) then
    self:add(path, "must be " .. spec.description)
    return nil
  end
  return value
end

local function check_integer(self, value, path, spec)
  local too_small = spec.min and value < spec.min
  local too_large = spec.max and value > spec.max
  if (too_small or too_large) and spec.min and spec.max then
    self:add(path, string.format("must be between %d and %d", spec.min, spec.max))
    return nil
  elseif too_small then
    self:add(path, string.format("must be at least %d", spec.min))
    return nil
  elseif too_large then
    self:add(path, string.format("must be at most %d", spec.max))
    return nil
  end
  return value
end

local function items(count)
  return count .. (count == 1 and " item" or " items")
end

local function check_array(self, value, path, spec)
  local count = #value
  if spec.min_items and count < spec.min_items then
    self:add(path, "must have at least " .. items(spec.min_items))
    return nil
  end
  if spec.max_items and count > spec.max_items then
    self:add(path, "must have at most " .. items(spec.max_items))
    return nil
  end
  return value
end

local EXPECTED_KINDS = {
  string = { string = true },
  boolean = { boolean = true },
  integer = { integer = true },
  object = { object = true, empty = true },
  array = { array = true, empty = true },
}

local KIND_NAMES = {
  string = "a string", boolean = "a boolean", integer = "an integer",
  object = "a JSON object", array = "a JSON array",
}

-- Checks one value against `spec` and returns it, or nil when it is absent
-- or wrong. spec fields: type ("string", "boolean", "integer", "object",
-- "array"), required, enum, pattern or test with description, allow_empty,
-- min and max (integers), min_items and max_items (arrays). JSON null counts
-- as absent.
function Checker:value(value, path, spec)
  local kind = common.kind_of(value)
  if kind == "null" then
    if spec.required then
      self:add(path, "is required")
    end
    return nil
  end
  if not EXPECTED_KINDS[spec.type][kind] then
    self:add(path, "must be " .. KIND_NAMES[spec.type])
    return nil
  end

  if spec.type == "string" then
    return check_string(self, value, path, spec)
  elseif spec.type == "integer" then
    return check_integer(self, value, path, spec)
  elseif spec.type == "array" then
    return check_array(self, value, path, spec)
  end
  return value
end

-- Checks object[key]; the reported path is `prefix.key`.
function Checker:field(object, key, prefix, spec)
  return self:value(object[key], prefix .. "." .. key, spec)
end

-- Checks that the request body is a JSON object and returns it, or nil.
function Checker:body(req)
  if req.json_error then
    self:add("body", "is not valid JSON")
    return nil
  end
  return self:value(req.body, "body", { type = "object", required = true })
end

-- Checks the create or PUT body of an integration or a flow, which share
-- `name`, `version` "2.0" and `nuxVisible` (false when absent). Returns the
-- body and a table of those three fields, or nil when the body is not a
-- JSON object.
function Checker:versioned_body(req)
  local body = self:body(req)
  if not body then
    return nil
  end
  return body, {
    name = self:field(body, "name", "body", { type = "string", required = true }),
    version = self:field(body, "version", "body", { type = "string", required = true, enum = { "2.0" } }),
    nuxVisible = self:field(body, "nuxVisible", "body", { type = "boolean" }) or false,
  }
end

-- Calls check_item(item, item_path) for each item of a JSON array, where
-- item_path is `path[i]` with i counted from 0, like every index in the
-- emulator's messages. Returns a JSON array of what check_item returned.
function Checker:each(list, path, check_item)
  local stored = json.array()
  for index, item in ipairs(list or {}) do
    stored[index] = check_item(item, string.format("%s[%d]", path, index - 1))
  end
  return stored
end

-- Adds `problem` at `path` when `value` is already in the set `seen`, then
-- adds it to the set. A nil value, one that failed its own check, is skipped.
function Checker:no_repeat(seen, value, path, problem)
  if value == nil then
    return
  end
  if seen[value] then
    self:add(path, problem)
  end
  seen[value] = true
end

-- Checks each item of a JSON array against `spec` and returns a JSON array
-- of the valid items in their places. With `repeat_problem`, an item equal
-- to an earlier valid item gets that problem too.
function Checker:values(list, path, spec, repeat_problem)
  local seen = {}
  return self:each(list, path, function(item, item_path)
    local value = self:value(item, item_path, spec)
    if repeat_problem then
      self:no_repeat(seen, value, item_path, repeat_problem)
    end
    return value
  end)
end

------------------------------------------------------------------------------
-- Identifiers

-- Returns an id of 32 lowercase hex characters that no record has used yet.
function common.new_id(state)
  for _ = 1, 100 do
    local id = state.random_hex(32)
    if type(id) ~= "string" or not id:match(common.LOWER_HEX_ID) then
      error("random_hex(32) must return 32 lowercase hexadecimal characters", 0)
    end
    if not state.issued_ids[id] then
      state.issued_ids[id] = true
      return id
    end
  end
  error("random_hex(32) returned only ids already in use", 0)
end

-- Returns the record stored under a path id, or nil when the id is unknown
-- or not 32 lowercase hex characters.
function common.lookup(map, id)
  if type(id) ~= "string" or not id:match(common.LOWER_HEX_ID) then
    return nil
  end
  return map[id]
end

-- Returns a wrapper for the handlers of routes that act on one stored
-- record. The wrapped handler looks up the record that path parameter
-- `param` names in state[collection]. It responds with 404 "<resource> not
-- found" when the id is unknown or malformed, and otherwise returns
-- handler(state, ctx, record).
function common.record_route(collection, param, resource)
  return function(handler)
    return function(state, ctx)
      local record = common.lookup(state[collection], ctx.params[param])
      if not record then
        return common.not_found(resource)
      end
      return handler(state, ctx, record)
    end
  end
end

-- Wraps the handler of a route under /integrations/{integrationId}.
common.with_integration = common.record_route("integrations", "integrationId", "Integration")

-- Returns the next value of the creation counter; lists sort by it.
function common.next_seq(state)
  state.seq = state.seq + 1
  return state.seq
end

-- Returns a new record with a fresh id, the next creation counter value,
-- and the time and user of the request. Its last change is its creation.
function common.new_record(state, ctx)
  return {
    id = common.new_id(state),
    seq = common.next_seq(state),
    created = ctx.now,
    created_by = ctx.user.name,
    created_by_id = ctx.user.id,
    modified = ctx.now,
    modified_by = ctx.user.name,
  }
end

return common
