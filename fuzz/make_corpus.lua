-- Writes the seed inputs of fuzz_schema into fuzz/corpus/, one file a seed.
--
--   lua5.4 fuzz/make_corpus.lua
--
-- Each seed is a hand-made Lua value in the input layout that
-- fuzz/fuzz_schema.c reads: 0xff, the model name as a length byte and bytes,
-- one byte picking check_id's kind, then the value program. The opcodes
-- below must stay in the order of the enum in fuzz_schema.c.
local OP = {}
for index, name in ipairs {
  "NIL", "FALSE", "TRUE", "SMALL_INTEGER", "INTEGER", "INTEGER_EDGE", "FLOAT", "FLOAT_EDGE",
  "STRING", "LONG_STRING", "HUGE_STRING", "WORD", "SNAKE_WORD", "MISSPELT_WORD", "HEX_ID",
  "DIGITS", "ARRAY", "OBJECT", "MIXED", "SPARSE", "REFERENCE", "METATABLE", "FUNCTION",
  "USERDATA", "DEEP",
} do
  OP[name] = index - 1
end

-- push_key in fuzz_schema.c reads a selector byte; 5 means "a value follows".
local KEY_IS_VALUE = 5
-- Tables hold fewer than this many items or fields (MAX_TABLE_ITEMS).
local MAX_TABLE_ITEMS = 64
-- Indexes into float_edges in fuzz_schema.c, and the three after its end.
local FLOAT_EDGE = { three = 0, three_and_a_half = 1, negative_zero = 2, nan = 20, inf = 21, minus_inf = 22 }
local INTEGER_EDGE = { min = 0, max = 19, two_to_53_plus_1 = 17 }

-- Special values a plain Lua table cannot spell.
local special = {}
local function make(kind, fields)
  fields.kind = kind
  return setmetatable(fields, special)
end
local function huge(units, fill, tail)
  return make("huge", { units = units, fill = fill, tail = tail })
end
local function float_edge(which)
  return make("float_edge", { index = FLOAT_EDGE[which] })
end
local function integer_edge(which)
  return make("integer_edge", { index = INTEGER_EDGE[which] })
end
local function ref(index)
  return make("ref", { index = index })
end
-- mask: bit i adds the i-th metamethod of metamethods in fuzz_schema.c,
-- bit 15 adds __name and __metatable.
local function with_metatable(mask, value)
  return make("metatable", { mask = mask, value = value })
end
local function deep(levels, shape, leaf)
  return make("deep", { levels = levels, shape = shape, leaf = leaf })
end
local function function_value()
  return make("function", {})
end
-- A table spelt as an array of {key, value} pairs, in that order, so a seed
-- can mix an array part and fields, or keys that are not strings.
local function pairs_of(list, array)
  return make("pairs", { list = list, array = array or {} })
end

local encode

local function byte(n)
  assert(n >= 0 and n <= 255, "byte out of range")
  return string.char(n)
end

local function count(n)
  assert(n < MAX_TABLE_ITEMS, "too many items for one table")
  return byte(n)
end

local function encode_string(s)
  if #s < 256 then
    return byte(OP.STRING) .. byte(#s) .. s
  end
  assert(#s < 65536, "string too long for a seed")
  return byte(OP.LONG_STRING) .. string.pack(">I2", #s) .. s
end

local function encode_key(key)
  return byte(KEY_IS_VALUE) .. encode(key)
end

local function sorted_keys(t)
  local keys = {}
  for key in pairs(t) do
    if math.type(key) ~= "integer" or key < 1 or key > #t then
      keys[#keys + 1] = key
    end
  end
  table.sort(keys, function(a, b)
    return tostring(a) < tostring(b)
  end)
  return keys
end

local function encode_fields(list)
  local out = {}
  for _, pair in ipairs(list) do
    out[#out + 1] = encode_key(pair[1]) .. encode(pair[2])
  end
  return table.concat(out)
end

local function encode_items(array)
  local out = {}
  for _, item in ipairs(array) do
    out[#out + 1] = encode(item)
  end
  return table.concat(out)
end

local function encode_table(t)
  local keys = sorted_keys(t)
  if #keys == 0 and #t > 0 then
    return byte(OP.ARRAY) .. count(#t) .. encode_items(t)
  end
  local list = {}
  for _, key in ipairs(keys) do
    list[#list + 1] = { key, t[key] }
  end
  if #t == 0 then
    return byte(OP.OBJECT) .. count(#list) .. encode_fields(list)
  end
  return byte(OP.MIXED) .. count(#t) .. count(#list) .. encode_items(t) .. encode_fields(list)
end

local function encode_special(v)
  if v.kind == "huge" then
    return byte(OP.HUGE_STRING) .. byte(v.units) .. byte(v.fill) .. byte(v.tail)
  elseif v.kind == "float_edge" then
    return byte(OP.FLOAT_EDGE) .. byte(v.index)
  elseif v.kind == "integer_edge" then
    return byte(OP.INTEGER_EDGE) .. byte(v.index)
  elseif v.kind == "ref" then
    return byte(OP.REFERENCE) .. byte(v.index)
  elseif v.kind == "metatable" then
    -- The table program after the 2-byte mask starts with a kind byte (0 to
    -- 3 for array, object, mixed, sparse), not with a whole value's opcode.
    local inner = encode_table(v.value)
    return byte(OP.METATABLE) .. string.pack(">I2", v.mask) .. byte(inner:byte(1) - OP.ARRAY) .. inner:sub(2)
  elseif v.kind == "deep" then
    return byte(OP.DEEP) .. byte(v.levels - 1) .. byte(v.shape) .. string.pack(">I2", 0) .. encode(v.leaf)
  elseif v.kind == "function" then
    return byte(OP.FUNCTION)
  elseif v.kind == "pairs" then
    return byte(OP.MIXED) .. count(#v.array) .. count(#v.list) .. encode_items(v.array) .. encode_fields(v.list)
  end
  error("unknown special value " .. tostring(v.kind))
end

function encode(v)
  local kind = type(v)
  if v == nil then
    return byte(OP.NIL)
  elseif kind == "boolean" then
    return byte(v and OP.TRUE or OP.FALSE)
  elseif math.type(v) == "integer" then
    if v >= -128 and v <= 127 then
      return byte(OP.SMALL_INTEGER) .. string.pack(">i1", v)
    end
    return byte(OP.INTEGER) .. string.pack(">i8", v)
  elseif math.type(v) == "float" then
    return byte(OP.FLOAT) .. string.pack(">d", v)
  elseif kind == "string" then
    return encode_string(v)
  elseif getmetatable(v) == special then
    return encode_special(v)
  elseif kind == "table" then
    return encode_table(v)
  end
  error("cannot encode a " .. kind)
end

-- check_id kinds, by their index in id_kinds in fuzz_schema.c.
local ID = { hex32 = 0, model = 1, numeric = 2 }

local function seed(model, id_kind, value)
  return "\255" .. byte(#model) .. model .. byte(ID[id_kind]) .. encode(value)
end

local workspace = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
local model_id = "A1B2C3D4E5F60718293A4B5C6D7E8F90"
local connection = "c0ffee00c0ffee00c0ffee00c0ffee00"
local integration = "1a2b3c4d5e6f70811a2b3c4d5e6f7081"
local integration2 = "9f8e7d6c5b4a39281f0e2d3c4b5a6978"
local user = "5d41402abc4b2a76b9719d911017c592"

local azure_body = {
  name = "seed-blob",
  storageAccountName = "seedstorage",
  containerName = "seed-container",
  sasToken = "sv=2026-01-01&sig=seed",
}

local seeds = {
  azure_connection = seed("ConnectionInput", "hex32", { type = "AzureBlob", body = azure_body }),
  azure_body_snake = seed("AzureBlobConnectionInput", "hex32", {
    name = "seed-blob",
    storage_account_name = "seedstorage",
    container_name = "seed-container",
    sas_token = "sv=2026-01-01&sig=seed",
    auth_method = "SAS-based",
  }),
  s3_connection = seed("ConnectionInput", "hex32", {
    type = "AmazonS3",
    body = {
      name = "seed-s3",
      accessKeyId = "AKIASEEDSEEDSEED",
      secretAccessKey = "seed/secret/key",
      bucketName = "seed-bucket",
      workspaceId = workspace,
    },
  }),
  bigquery_connection = seed("ConnectionInput", "hex32", {
    type = "GoogleBigQuery",
    body = {
      name = "seed-bq",
      dataset = "seed_dataset",
      serviceAccountKey = {
        type = "service_account",
        project_id = "seed-project",
        private_key_id = "0123abcd",
        private_key = "-----BEGIN PRIVATE KEY-----\nseed\n-----END PRIVATE KEY-----\n",
        client_email = "seed@seed-project.iam.gserviceaccount.com",
      },
    },
  }),
  import_integration = seed("IntegrationInput", "model", {
    name = "seed-import",
    version = "2.0",
    workspaceId = workspace,
    modelId = model_id,
    jobs = {
      {
        type = "AzureBlobToAnaplan",
        sources = { { type = "AzureBlob", connectionId = connection, file = "in/seed.csv" } },
        targets = { { type = "Anaplan", actionId = "112000000001", fileId = "113000000001" } },
      },
    },
  }),
  process_integration = seed("IntegrationInput", "numeric", {
    name = "seed-process",
    workspace_id = workspace,
    model_id = model_id:lower(),
    process_id = 118000000001,
    jobs = {
      {
        type = "AnaplanToAmazonS3",
        sources = { { type = "Anaplan", actionId = 116000000001 } },
        targets = { { type = "AmazonS3", connectionId = connection, file = "out/seed.csv", overwrite = false } },
      },
    },
  }),
  bigquery_job = seed("IntegrationJobInput", "hex32", {
    type = "GoogleBigQueryToAnaplan",
    sources = { { type = "GoogleBigQuery", connectionId = connection, table = "seed_table" } },
    targets = { { type = "Anaplan", actionId = 112000000003, fileId = 113000000003 } },
  }),
  process_only = seed("IntegrationProcessInput", "numeric", {
    name = "seed-process-only",
    workspaceId = workspace,
    modelId = model_id,
    processId = "118000000002",
  }),
  daily_schedule = seed("ScheduleRequest", "hex32", {
    integrationId = integration,
    schedule = {
      name = "seed-daily",
      type = "daily",
      timezone = "Europe/London",
      time = "06:30",
      startDate = "2026-01-01",
      endDate = "2026-12-31",
    },
  }),
  weekly_schedule = seed("ScheduleInput", "hex32", {
    name = "seed-weekly",
    type = "weekly",
    timezone = "America/New_York",
    time = "23:59",
    days_of_week = { 0, 3, 6 },
    start_date = "2026-02-28",
  }),
  hourly_schedule = seed("ScheduleInput", "hex32", {
    name = "seed-hourly",
    type = "hourly",
    timezone = "Asia/Tokyo",
    fromTime = "08:00",
    toTime = "18:00",
    daysOfWeek = { 1, 2, 3, 4, 5 },
    repeatEvery = 3,
    startDate = "2028-02-29",
    endDate = "2028-02-29",
  }),
  monthly_relative_schedule = seed("ScheduleInput", "hex32", {
    name = "seed-monthly",
    type = "monthly_relative_weekday",
    timezone = "Europe/London",
    time = "12:00",
    dayOfWeek = 5,
    repeatEvery = 1,
    startDate = "2026-03-01",
  }),
  notification = seed("NotificationInput", "hex32", {
    integrationIds = { integration },
    channels = { "email", "in_app" },
    notifications = {
      config = {
        { type = "success", users = { user } },
        { type = "full_failure", users = { user, "7d793037a0760186574b0282f2f435e7" } },
      },
    },
  }),
  flow = seed("FlowInput", "hex32", {
    name = "seed-flow",
    version = "2.0",
    type = "IntegrationFlow",
    steps = {
      { type = "Integration", referrer = integration, isSkipped = false },
      {
        type = "Integration",
        referrer = integration2,
        dependsOn = { integration },
        exceptionBehavior = {
          { type = "failure", strategy = "stop" },
          { type = "partial_success", strategy = "continue" },
        },
      },
    },
  }),

  -- Hard cases, each on a shape close to a valid one.
  nan_action_id = seed("AnaplanTarget", "numeric", {
    type = "Anaplan", actionId = float_edge("nan"), fileId = float_edge("inf"),
  }),
  integral_float = seed("AnaplanTarget", "numeric", { type = "Anaplan", actionId = 112000000001.0, fileId = 3.5 }),
  integer_extremes = seed("ScheduleInput", "numeric", {
    name = "seed-extremes",
    type = "monthly_specific_day",
    timezone = "Europe/London",
    time = "24:00",
    dayOfMonth = integer_edge("max"),
    repeatEvery = integer_edge("min"),
    startDate = "2026-02-29",
    endDate = "2025-12-31",
  }),
  flow_cycle = seed("FlowInput", "hex32", {
    name = "seed-flow-cycle",
    steps = {
      { type = "Integration", referrer = integration, dependsOn = { integration2 } },
      { type = "Integration", referrer = integration2, dependsOn = { integration } },
      { type = "Integration", referrer = user, dependsOn = { user } },
    },
  }),
  huge_name = seed("AzureBlobConnectionInput", "hex32", {
    name = huge(16, 0x61, 0xff),
    storageAccountName = "seedstorage",
    containerName = "seed-container",
    sasToken = huge(2, 0x73, 0x80),
  }),
  huge_valid_name = seed("AzureBlobConnectionInput", "hex32", {
    name = huge(32, 0x6e, 0x65),
    storageAccountName = "seedstorage",
    containerName = "seed-container",
    sasToken = huge(1, 0x74, 0x7a),
  }),
  invalid_utf8 = seed("AzureBlobConnectionInput", "hex32", {
    name = "bad \xc3\x28 \xed\xa0\x80 \xf4\x90\x80\x80 \xc0\xaf",
    storageAccountName = "seed\0storage",
    containerName = "tab\tand\nnewline\"quote\\",
    sasToken = "\xff\xfe",
  }),
  cycle = seed("IntegrationInput", "model", {
    name = "seed-cycle",
    workspaceId = workspace,
    modelId = model_id,
    jobs = { ref(0), ref(1) },
  }),
  raising_metatable = seed("ConnectionInput", "hex32", {
    type = "AzureBlob",
    body = with_metatable(0x83ff, azure_body),
  }),
  metatable_jobs = seed("IntegrationInput", "model", with_metatable(0x03, {
    name = "seed-meta",
    workspaceId = workspace,
    modelId = model_id,
    jobs = {},
  })),
  deep_nesting = seed("FlowInput", "hex32", {
    name = "seed-deep",
    steps = deep(180, 0x55, "leaf"),
  }),
  mixed_table = seed("IntegrationInput", "model", pairs_of({
    { "name", "seed-mixed" },
    { "workspaceId", workspace },
    { "modelId", model_id },
    { 2.5, "a float key" },
    { true, "a boolean key" },
    { "jobs", pairs_of({ { "type", "AzureBlobToAnaplan" } }, { { type = "AzureBlobToAnaplan" } }) },
  }, { "array", "part" })),
  function_values = seed("FlowStepInput", "hex32", { type = function_value(), referrer = function_value(), dependsOn = { function_value() } }),
  both_spellings = seed("AmazonS3ConnectionInput", "hex32", {
    name = "seed-s3",
    accessKeyId = "AKIASEED",
    access_key_id = "AKIASEED",
    secretAccessKey = "seed",
    bucketName = "seed-bucket",
    bucket_nme = "misspelt",
  }),
  id_hex = seed("ConnectionInput", "hex32", "C0FFEE00C0FFEE00C0FFEE00C0FFEE00"),
  id_numeric = seed("ConnectionInput", "numeric", integer_edge("two_to_53_plus_1")),
  id_model = seed("ConnectionInput", "model", "a1b2c3d4e5f60718293a4b5c6d7e8f9"),
}

local folder = ((arg and arg[0] or ""):match("^(.*)/[^/]*$") or ".") .. "/corpus"
os.execute("mkdir -p '" .. folder .. "'")
local names = {}
for name in pairs(seeds) do
  names[#names + 1] = name
end
table.sort(names)
for _, name in ipairs(names) do
  local file = assert(io.open(folder .. "/" .. name, "wb"))
  file:write(seeds[name])
  file:close()
end
print(string.format("wrote %d seeds to %s", #names, folder))
