-- The flow each thread of spec/host/threads.c runs in its own lua_State:
-- the quickstart's steps against an emulator of its own, with a check after
-- each step. Raises on the first problem; stops the emulator in every case.
local name = ...
local anaplan = require("anaplan")
local cw_models = require("anaplan.cloud_works")

local WORKSPACE_ID = "8a868cda860a533a0186334e91805794"
local MODEL_ID = "E2E3A0A8B2F54E4FA18D1D9C4B1F7F11"

local function expect(condition, message)
  if not condition then
    error(name .. ": " .. message, 2)
  end
end

-- Counts the items whose name starts with prefix. A connection keeps its
-- name in its body; an integration at the top.
local function count_named(list, prefix)
  local n = 0
  for _, item in ipairs(list) do
    local item_name = type(item.body) == "table" and item.body.name or item.name
    if type(item_name) == "string" and item_name:sub(1, #prefix) == prefix then
      n = n + 1
    end
  end
  return n
end

local function run(cw)
  local prefix = name .. "-"

  local blob_id = cw:create_connection(cw_models.ConnectionInput {
    type = "AzureBlob",
    body = cw_models.AzureBlobConnectionInput {
      name = prefix .. "blob",
      storage_account_name = "hoststorage",
      container_name = "host-data",
      sas_token = "sp=r&sig=host-thread",
    },
  })
  local s3_id = cw:create_connection {
    type = "AmazonS3",
    body = {
      name = prefix .. "s3",
      accessKeyId = "AKIAHOSTTHREAD",
      secretAccessKey = "host/thread/secret",
      bucketName = "host-bucket",
    },
  }
  expect(count_named(cw:list_connections(), prefix) == 2, "list_connections should show both connections")

  local import_id = cw:create_integration(cw_models.IntegrationInput {
    name = prefix .. "import",
    workspace_id = WORKSPACE_ID,
    model_id = MODEL_ID,
    jobs = {
      cw_models.IntegrationJobInput {
        type = "AzureBlobToAnaplan",
        sources = { cw_models.FileSource { type = "AzureBlob", connection_id = blob_id, file = "in/sales.csv" } },
        targets = { cw_models.AnaplanTarget { action_id = 112000000001, file_id = 113000000001 } },
      },
    },
  })
  local export_id = cw:create_integration {
    name = prefix .. "export",
    version = "2.0",
    workspaceId = WORKSPACE_ID,
    modelId = MODEL_ID,
    jobs = {
      {
        type = "AnaplanToAmazonS3",
        sources = { { type = "Anaplan", actionId = "116000000001" } },
        targets = { { type = "AmazonS3", connectionId = s3_id, file = "out/report.csv" } },
      },
    },
  }
  local listed = cw:list_integrations { sort_by = "name", descending = true }
  expect(count_named(listed, prefix) == 2, "list_integrations should show both integrations")
  expect(cw:get_integration(import_id).name == prefix .. "import", "get_integration should return the import")

  local run_id = cw:run_integration(import_id)
  local status = cw:wait_for_run(run_id, { interval = 0.2, timeout = 60 })
  expect(status.endDate ~= nil, "wait_for_run should return a finished run")

  for _, id in ipairs { export_id, import_id } do
    cw:delete_integration(id)
  end
  for _, id in ipairs { s3_id, blob_id } do
    cw:delete_connection(id)
  end
  expect(count_named(cw:list_integrations(), prefix) == 0, "every integration should be deleted")
  expect(count_named(cw:list_connections(), prefix) == 0, "every connection should be deleted")
end

local emulator = require("anaplan.emulator").start { port = 0 }
local client
local ok, err = pcall(function()
  client = anaplan.Client {
    user_email = "dev@example.com",
    password = "dev",
    auth_url = emulator.auth_url,
    cloudworks_url = emulator.cloudworks_url,
  }
  run(client.cw)
end)
local closed, close_err = true, nil
if client then
  closed, close_err = pcall(client.close, client)
end
emulator:stop()
if not ok then
  error(err, 0)
end
if not closed then
  error(close_err, 0)
end
