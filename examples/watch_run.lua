-- Runs: start an integration, follow the run to its end with wait_for_run,
-- then print the integration's run history.
--
--   lua5.4 examples/watch_run.lua
--
-- Runs against a local emulator it starts itself (where a run takes three
-- seconds), or against the live API when ANAPLAN_USER_EMAIL and
-- ANAPLAN_PASSWORD are set (see support.lua).
local support = dofile(((arg and arg[0] or ""):match("^(.*)/[^/]*$") or ".") .. "/support.lua")

local client, close = support.connect { run_duration = 3 }
local cw = client.cw
local created = support.tracker(cw)
local step = support.step

-- Formats lastRun, which run history gives in epoch seconds, as UTC.
local function utc(epoch_seconds)
  if math.type(epoch_seconds) ~= "integer" then
    return tostring(epoch_seconds)
  end
  return os.date("!%Y-%m-%d %H:%M:%S UTC", epoch_seconds)
end

local function run()
  step("Create an Azure Blob connection and an import integration")
  local _, integration_id = support.create_blob_import(cw, created, "watch-example")

  step("Run it and follow the run until it ends")
  local run_id = cw:run_integration(integration_id)
  created:set_running(integration_id)
  print("run id: " .. run_id)
  local polls = 0
  local final = cw:wait_for_run(run_id, {
    interval = 0.5,
    timeout = 900,
    on_progress = function(status)
      polls = polls + 1
      if status.endDate == nil then
        print(string.format("  poll %d: running since %s", polls, tostring(status.startDate)))
      else
        print(string.format("  poll %d: ended at %s", polls, tostring(status.endDate)))
      end
    end,
  })
  print(string.format("run ended after %d polls: success=%s, message=%s, executionErrorCode=%s",
    polls, tostring(final.success), tostring(final.message), tostring(final.executionErrorCode or "none")))
  created:set_running(nil)

  step("Run history of the integration")
  local history = cw:get_run_history(integration_id)
  print(string.format("%d run(s)", #history))
  for _, record in ipairs(history) do
    print(string.format("  %s  %s  success=%s  %s  ended %s",
      record.id, tostring(record.triggerSource), tostring(record.success),
      tostring(record.message), utc(record.lastRun)))
  end
end

support.run_and_clean_up(run, created, close)
