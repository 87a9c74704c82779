--- Constructors for the CloudWorks input models.
--
-- Each constructor takes a table whose fields are spelled in snake_case or
-- as the API spells them (not both), validates it on the spot and returns
-- the API-shaped table: API field names, defaults filled in, ids normalized.
-- A constructor accepts its own output and that of the constructors for its
-- nested fields, so calls nest:
-- ConnectionInput{type = "AzureBlob", body = AzureBlobConnectionInput{...}}.
-- Invalid input raises a validation error object listing every problem.
--
--   local cw = require("anaplan.cloud_works")
--   local source = cw.FileSource{type = "AmazonS3", connection_id = id, file = "in.csv"}

local core = require("anaplan.core")

local M = {}

--- The models a user builds by hand. Their definitions are in the C core
-- (src/models.c), which core.models() lists in full.
local MODEL_NAMES = {
  "ConnectionInput",
  "AzureBlobConnectionInput",
  "AmazonS3ConnectionInput",
  "GoogleBigQueryConnectionInput",
  "FileSource",
  "AnaplanSource",
  "TableSource",
  "FileTarget",
  "TableTarget",
  "AnaplanTarget",
  "IntegrationJobInput",
  "IntegrationInput",
  "IntegrationProcessInput",
  "ScheduleInput",
  "NotificationInput",
  "NotificationItemInput",
  "FlowInput",
  "FlowStepInput",
  "ExceptionBehavior",
}

for _, name in ipairs(MODEL_NAMES) do
  M[name] = function(fields)
    return core.validate(name, fields)
  end
end

return M
