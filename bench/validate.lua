-- Benchmark: validation and JSON encoding of three payloads, through the
-- C core and through the Lua constructors, beside lua-cjson for scale.
--
--   lua5.4 bench/validate.lua [CPU seconds per figure, default 1]
--
-- Not a test: it prints its figures and checks nothing but that each
-- payload is valid. Times are CPU time (os.clock) of this process.
local script_dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = script_dir .. "/../lua/?.lua;" .. script_dir .. "/../lua/?/init.lua;" .. package.path
package.cpath = script_dir .. "/../build/?.so;" .. package.cpath

local core = require("anaplan.core")
local cw_models = require("anaplan.cloud_works")
local cjson = require("cjson")

local budget = tonumber(arg and arg[1] or "1")
if budget == nil or budget <= 0 or budget > 60 then
  io.stderr:write("usage: lua5.4 bench/validate.lua [CPU seconds per figure, above 0 and at most 60]; got ",
    tostring(arg and arg[1]), "\n")
  os.exit(2)
end

-- Builds a 32-character lowercase hex id from a number, so the payloads
-- are the same on every run.
local function hex_id(n)
  return string.format("%032x", n)
end

-- Payloads in the snake_case form a user writes for the constructors.
local function connection_input()
  return {
    type = "AzureBlob",
    body = {
      name = "bench-blob",
      storage_account_name = "benchstorage",
      container_name = "planning-data",
      sas_token = "sp=r&st=2026-12-01&sig=bench",
    },
  }
end

local function integration_input()
  return {
    name = "bench-process",
    workspace_id = hex_id(1),
    model_id = string.upper(hex_id(2)),
    process_id = 118000000001,
    jobs = {
      {
        type = "AzureBlobToAnaplan",
        sources = { { type = "AzureBlob", connection_id = hex_id(3), file = "in/sales.csv" } },
        targets = { { type = "Anaplan", action_id = 112000000001, file_id = 113000000001 } },
      },
      {
        type = "AnaplanToAzureBlob",
        sources = { { type = "Anaplan", action_id = 116000000001 } },
        targets = { { type = "AzureBlob", connection_id = hex_id(3), file = "out/report.csv" } },
      },
    },
  }
end

-- A chain of steps: each one depends on the step before it.
local function flow_input(step_count)
  local steps = {}
  for i = 1, step_count do
    steps[i] = { referrer = hex_id(1000 + i), depends_on = i > 1 and { hex_id(1000 + i - 1) } or {} }
  end
  return { name = "bench-flow", steps = steps }
end

local payloads = {
  { label = "connection", model = "ConnectionInput", build = connection_input },
  { label = "integration, 2 jobs", model = "IntegrationInput", build = integration_input },
  { label = "flow, 50 steps", model = "FlowInput", build = function() return flow_input(50) end },
}

-- Calls fn repeatedly for about `budget` CPU seconds and returns calls per
-- second and microseconds per call. Batches keep the clock reads cheap.
local function measure(fn)
  local batch = 1
  local calls, started = 0, os.clock()
  while true do
    for _ = 1, batch do
      fn()
    end
    calls = calls + batch
    local elapsed = os.clock() - started
    if elapsed >= budget then
      return calls / elapsed, elapsed / calls * 1e6
    end
    if batch < 1024 then
      batch = batch * 2
    end
  end
end

print(string.format("anaplan core %s, %s, lua-cjson %s; %g s CPU per figure",
  tostring(core.version), _VERSION, tostring(cjson._VERSION), budget))
print(string.format("%-22s %-30s %12s %10s %8s", "payload", "how", "calls/s", "us/call", "bytes"))

for _, payload in ipairs(payloads) do
  local snake = payload.build()
  local constructor = cw_models[payload.model]
  -- The API-shaped table: what core.encode and lua-cjson are given.
  local api = constructor(snake)
  local json = core.encode(payload.model, api)

  local rows = {
    {
      "core.encode (API table)",
      function()
        core.encode(payload.model, api)
      end,
      #json,
    },
    {
      "core.validate (API table)",
      function()
        core.validate(payload.model, api)
      end,
    },
    {
      "constructor (snake_case)",
      function()
        constructor(snake)
      end,
    },
    {
      "constructor + core.encode",
      function()
        core.encode(payload.model, constructor(snake))
      end,
      #json,
    },
    {
      "cjson.encode, no checks",
      function()
        cjson.encode(api)
      end,
      #cjson.encode(api),
    },
  }
  for _, row in ipairs(rows) do
    local rate, micros = measure(row[2])
    print(string.format("%-22s %-30s %12.0f %10.2f %8s", payload.label, row[1], rate, micros,
      row[3] and tostring(row[3]) or ""))
  end
end
