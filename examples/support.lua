-- Shared by the examples: finds the SDK, connects a client, and keeps track
-- of what a script creates so that one clean-up deletes all of it.
--
-- From a source checkout the examples use the tree's lua/ folder and the
-- CMake build. Once installed with LuaRocks they use the installed module.
-- When ANAPLAN_USER_EMAIL and ANAPLAN_PASSWORD, or ANAPLAN_TOKEN, or
-- ANAPLAN_CLOUDWORKS_URL is set, the client logs in with the credentials
-- given and calls ANAPLAN_AUTH_URL and ANAPLAN_CLOUDWORKS_URL, falling back
-- to the live API's URLs for those unset. Otherwise an example starts a
-- local emulator of its own and stops it when done.
local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local tree_path = here .. "/../lua/?.lua;" .. here .. "/../lua/?/init.lua"
local tree_cpath = here .. "/../build/?.so"
if os.getenv("LUA_CPATH") then
  -- A caller that set LUA_CPATH chose the build (a sanitizer build, say),
  -- so its paths come first.
  package.path = package.path .. ";" .. tree_path
  package.cpath = package.cpath .. ";" .. tree_cpath
else
  package.path = tree_path .. ";" .. package.path
  package.cpath = tree_cpath .. ";" .. package.cpath
end

local anaplan = require("anaplan")
local cw_models = require("anaplan.cloud_works")

local support = {}

-- Example ids for the emulator, which accepts any well-formed ids. Against
-- the live API, set ANAPLAN_WORKSPACE_ID and ANAPLAN_MODEL_ID (and the
-- action and file ids your model has) instead.
support.workspace_id = os.getenv("ANAPLAN_WORKSPACE_ID") or "8a868cda860a533a0186334e91805794"
support.model_id = os.getenv("ANAPLAN_MODEL_ID") or "e2e3a0a8b2f54e4fa18d1d9c4b1f7f11"

-- Returns a client, a function that closes it (and stops the emulator, if
-- one was started) and the emulator or nil. Prints where the client points.
function support.connect(options)
  options = options or {}
  local email, password = os.getenv("ANAPLAN_USER_EMAIL"), os.getenv("ANAPLAN_PASSWORD")
  local token = os.getenv("ANAPLAN_TOKEN")
  local cloudworks_url = os.getenv("ANAPLAN_CLOUDWORKS_URL")
  local emulator

  local settings = { logger = options.logger, log_level = options.log_level }
  if (email and password) or token or cloudworks_url then
    settings.user_email, settings.password, settings.token = email, password, token
    settings.auth_url = os.getenv("ANAPLAN_AUTH_URL")
    settings.cloudworks_url = cloudworks_url
    print("Using CloudWorks at " .. (cloudworks_url or "the live API"))
  else
    emulator = require("anaplan.emulator").start { port = 0, run_duration = options.run_duration or 1 }
    settings.user_email, settings.password = "dev@example.com", "dev"
    settings.auth_url, settings.cloudworks_url = emulator.auth_url, emulator.cloudworks_url
    print("Started a local CloudWorks emulator at " .. emulator.base_url)
  end

  local client = anaplan.Client(settings)
  local function close()
    client:close()
    if emulator then
      emulator:stop()
    end
  end
  return client, close, emulator
end

-- Prints the heading of a script's next step.
function support.step(text)
  print("\n== " .. text)
end

------------------------------------------------------------------------------
-- Set-up that several examples share

-- Returns the import job the examples use: in/sales.csv from an Azure Blob
-- connection into the model through an Anaplan import action.
function support.blob_import_job(connection_id)
  return cw_models.IntegrationJobInput {
    type = "AzureBlobToAnaplan",
    sources = { cw_models.FileSource { type = "AzureBlob", connection_id = connection_id, file = "in/sales.csv" } },
    targets = { cw_models.AnaplanTarget { action_id = 112000000001, file_id = 113000000001 } },
  }
end

-- Creates an Azure Blob connection named `<prefix>-blob` and an import
-- integration named `<prefix>-import` that runs blob_import_job through it,
-- both built with the constructors (quickstart.lua walks through these
-- calls). Records both in `created`, prints their ids and returns the
-- connection id and the integration id.
function support.create_blob_import(cw, created, prefix)
  local connection_id = cw:create_connection(cw_models.ConnectionInput {
    type = "AzureBlob",
    body = cw_models.AzureBlobConnectionInput {
      name = prefix .. "-blob",
      storage_account_name = "examplestorage",
      container_name = "planning-data",
      sas_token = os.getenv("AZURE_SAS_TOKEN") or "sp=r&st=2026-12-01&sig=example",
    },
  })
  created:add("connection", connection_id)
  print("connection id: " .. connection_id)

  local integration_id = cw:create_integration(cw_models.IntegrationInput {
    name = prefix .. "-import",
    workspace_id = support.workspace_id,
    model_id = support.model_id,
    jobs = { support.blob_import_job(connection_id) },
  })
  created:add("integration", integration_id)
  print("integration id: " .. integration_id)
  return connection_id, integration_id
end

------------------------------------------------------------------------------
-- Clean-up

-- The kinds a tracker records, in the order clean_up deletes them: a flow
-- before the integrations it runs, an integration before the connections
-- its jobs use.
local DELETE_ORDER = {
  { kind = "flow", delete = function(cw, id) cw.flows:delete_flow(id) end },
  { kind = "integration", delete = function(cw, id) cw:delete_integration(id) end },
  { kind = "connection", delete = function(cw, id) cw:delete_connection(id) end },
}

local Tracker = {}
Tracker.__index = Tracker

-- Returns an empty record of what a script creates through `cw`.
function support.tracker(cw)
  local ids = {}
  for _, entry in ipairs(DELETE_ORDER) do
    ids[entry.kind] = {}
  end
  return setmetatable({ cw = cw, ids = ids, running = nil }, Tracker)
end

-- Records the id of a "connection", "integration" or "flow" just created.
function Tracker:add(kind, id)
  local ids = self.ids[kind]
  if ids == nil then
    error("tracker:add: kind must be connection, integration or flow, not " .. tostring(kind), 2)
  end
  ids[#ids + 1] = id
end

-- Records the integration whose run is in flight, or nil once the run has
-- ended. A run in flight blocks the delete, so clean_up cancels it first.
function Tracker:set_running(integration_id)
  self.running = integration_id
end

-- Deletes everything recorded, each kind newest first. A failed delete is
-- reported on stderr and the rest are still tried, so one stuck item does
-- not leave the others behind. Returns true when every delete succeeded.
function Tracker:clean_up()
  support.step("Clean up everything this script created")
  local cw = self.cw
  if self.running then
    local cancelled, err = pcall(cw.cancel_integration, cw, self.running)
    print(cancelled and ("cancelled the run of " .. self.running) or ("could not cancel: " .. tostring(err)))
  end

  local failed = 0
  for _, entry in ipairs(DELETE_ORDER) do
    local ids = self.ids[entry.kind]
    for i = #ids, 1, -1 do
      local deleted, err = pcall(entry.delete, cw, ids[i])
      if deleted then
        print(string.format("deleted %s %s", entry.kind, ids[i]))
      else
        failed = failed + 1
        io.stderr:write(string.format("failed to delete %s %s: %s\n", entry.kind, ids[i], tostring(err)))
      end
    end
  end
  return failed == 0
end

-- Calls steps(), then cleans up what `created` recorded whether or not a step
-- raised, and calls close(). Exits with status 1 when a step raised or a
-- delete failed; otherwise prints "Done.".
function support.run_and_clean_up(steps, created, close)
  local ok, err = pcall(steps)
  local cleaned = created:clean_up()
  close()
  if not ok then
    local script = (arg and arg[0] or "the example"):match("[^/]*$")
    io.stderr:write(script, " failed: ", tostring(err), "\n")
    os.exit(1)
  end
  if not cleaned then
    os.exit(1)
  end
  print("\nDone.")
end

return support
