-- Quickstart: connections, integrations and a run, then clean-up.
--
--   lua5.4 examples/quickstart.lua
--
-- Runs against a local emulator it starts itself, or against the live API
-- when ANAPLAN_USER_EMAIL and ANAPLAN_PASSWORD are set (see support.lua).
local support = dofile(((arg and arg[0] or ""):match("^(.*)/[^/]*$") or ".") .. "/support.lua")
local anaplan = require("anaplan")
local cw_models = require("anaplan.cloud_works")

local client, close = support.connect()
local cw = client.cw
local created = support.tracker(cw)
local step = support.step

local function run()
  step("Create an Azure Blob connection with the constructors")
  local blob_input = cw_models.ConnectionInput {
    type = "AzureBlob",
    body = cw_models.AzureBlobConnectionInput {
      name = "quickstart-blob",
      storage_account_name = "quickstartstorage",
      container_name = "planning-data",
      sas_token = os.getenv("AZURE_SAS_TOKEN") or "sp=r&st=2026-12-01&sig=example",
    },
  }
  local blob_id = cw:create_connection(blob_input)
  created:add("connection", blob_id)
  print("connection id: " .. blob_id)

  step("Create a second one from a plain table shaped like the API's JSON")
  local plain_id = cw:create_connection {
    type = "AzureBlob",
    body = {
      name = "quickstart-blob-plain",
      storageAccountName = "quickstartstorage",
      containerName = "archive",
      sasToken = os.getenv("AZURE_SAS_TOKEN") or "sp=r&st=2026-12-01&sig=example",
    },
  }
  created:add("connection", plain_id)
  print("connection id: " .. plain_id)

  step("A misspelt table is refused before anything is sent")
  local ok, err = pcall(cw.create_connection, cw, {
    type = "AzureBlob",
    body = {
      name = "misspelt",
      storageAccount = "quickstartstorage",
      containerName = "planning-data",
      sasToken = "never-sent",
    },
  })
  assert(not ok and anaplan.errors.is(err, "validation"), "the misspelt table should be refused")
  print(tostring(err))

  step("Create a Blob-to-Anaplan import integration with the constructors")
  local import_job = cw_models.IntegrationJobInput {
    type = "AzureBlobToAnaplan",
    sources = { cw_models.FileSource { type = "AzureBlob", connection_id = blob_id, file = "dir/sales.csv" } },
    targets = { cw_models.AnaplanTarget { action_id = 112000000001, file_id = 113000000001 } },
  }
  local import_id = cw:create_integration(cw_models.IntegrationInput {
    name = "quickstart-import",
    workspace_id = support.workspace_id,
    model_id = support.model_id,
    jobs = { import_job },
  })
  created:add("integration", import_id)
  print("integration id: " .. import_id)

  step("The same kind of integration from a plain table")
  local plain_import_id = cw:create_integration {
    name = "quickstart-import-plain",
    version = "2.0",
    workspaceId = support.workspace_id,
    modelId = support.model_id,
    jobs = {
      {
        type = "AzureBlobToAnaplan",
        sources = { { type = "AzureBlob", connectionId = plain_id, file = "dir/costs.csv" } },
        targets = { { type = "Anaplan", actionId = "112000000002", fileId = "113000000002" } },
      },
    },
  }
  created:add("integration", plain_import_id)
  print("integration id: " .. plain_import_id)

  step("A process integration with two jobs (import, then export)")
  local process_id = cw:create_integration(cw_models.IntegrationInput {
    name = "quickstart-process",
    workspace_id = support.workspace_id,
    model_id = support.model_id,
    process_id = 118000000001,
    jobs = {
      import_job,
      cw_models.IntegrationJobInput {
        type = "AnaplanToAzureBlob",
        sources = { cw_models.AnaplanSource { action_id = 116000000001 } },
        targets = { cw_models.FileTarget { type = "AzureBlob", connection_id = blob_id, file = "out/report.csv" } },
      },
    },
  })
  created:add("integration", process_id)
  print("integration id: " .. process_id)

  step("A process-only integration (no jobs)")
  local process_only_id = cw:create_integration(cw_models.IntegrationProcessInput {
    name = "quickstart-process-only",
    workspace_id = support.workspace_id,
    model_id = support.model_id,
    process_id = 118000000002,
  })
  created:add("integration", process_only_id)
  print("integration id: " .. process_only_id)

  step("List integrations sorted by name, descending")
  for _, integration in ipairs(cw:list_integrations { sort_by = "name", descending = true }) do
    print(string.format("  %s  %s", integration.integrationId, integration.name))
  end

  step("Run the import and wait for it to end")
  local run_id = cw:run_integration(import_id)
  created:set_running(import_id)
  print("run id: " .. run_id)
  local status = cw:wait_for_run(run_id, {
    interval = 0.5,
    timeout = 600,
    on_progress = function(s)
      if s.endDate == nil then
        print("  running since " .. tostring(s.startDate))
      end
    end,
  })
  print(string.format("run ended: success=%s, message=%s", tostring(status.success), tostring(status.message)))
  created:set_running(nil)
end

support.run_and_clean_up(run, created, close)
