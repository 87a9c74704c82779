-- Shared by the examples: finds the SDK and connects a client.
--
-- From a source checkout the examples use the tree's lua/ folder and the
-- CMake build; once installed with LuaRocks they use the installed module.
-- With ANAPLAN_USER_EMAIL and ANAPLAN_PASSWORD (or ANAPLAN_TOKEN) set, a
-- client talks to the live API (or to ANAPLAN_AUTH_URL and
-- ANAPLAN_CLOUDWORKS_URL when set); otherwise an example starts a local
-- emulator of its own and stops it when done.
local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local tree_path = here .. "/../lua/?.lua;" .. here .. "/../lua/?/init.lua"
local tree_cpath = here .. "/../build/?.so"
if os.getenv("LUA_CPATH") then
  -- Whoever set LUA_CPATH chose the build (a sanitizer build, say): theirs first.
  package.path = package.path .. ";" .. tree_path
  package.cpath = package.cpath .. ";" .. tree_cpath
else
  package.path = tree_path .. ";" .. package.path
  package.cpath = tree_cpath .. ";" .. package.cpath
end

local anaplan = require("anaplan")

local support = {}

-- Example ids for the emulator, which accepts any well-formed ids. Against
-- the live API, set ANAPLAN_WORKSPACE_ID and ANAPLAN_MODEL_ID (and the
-- action and file ids your model has) instead.
support.workspace_id = os.getenv("ANAPLAN_WORKSPACE_ID") or "8a868cda860a533a0186334e91805794"
support.model_id = os.getenv("ANAPLAN_MODEL_ID") or "e2e3a0a8b2f54e4fa18d1d9c4b1f7f11"

-- Returns a client and a function that closes it (and stops the emulator,
-- if one was started). Prints where the client points.
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

return support
