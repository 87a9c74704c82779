-- Notification models: which integration, which channels, and who hears
-- about each run outcome.
local core = require("anaplan.core")
local schema = require("helpers.schema")

local INTEGRATION = "5c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f"
local USERS = {
  "8a80da9a6c9f4c2b016cb1d4a5a30a11",
  "8a80da9a6c9f4c2b016cb1d4a5a30a12",
  "8a80da9a6c9f4c2b016cb1d4a5a30a13",
  "8a80da9a6c9f4c2b016cb1d4a5a30a14",
  "8a80da9a6c9f4c2b016cb1d4a5a30a15",
  "8a80da9a6c9f4c2b016cb1d4a5a30a16",
}

local problems = schema.problems

local function notification(overrides)
  local input = {
    integration_ids = { INTEGRATION },
    channels = { "email", "in_app" },
    notifications = { config = { { type = "full_failure", users = { USERS[1] } } } },
  }
  for key, value in pairs(overrides or {}) do
    input[key] = value
  end
  return input
end

describe("NotificationItemInput", function()
  it("sends the outcome and the users", function()
    assert.equal('{"type":"success","users":["' .. USERS[1] .. '","' .. USERS[2] .. '"]}',
      core.encode("NotificationItemInput", { type = "success", users = { USERS[1], USERS[2]:upper() } }))
  end)

  it("rejects an unknown outcome", function()
    assert.same({
      "body.NotificationItemInput.type Input should be one of 'success', 'partial_failure', 'full_failure', not 'failure'",
    }, problems("NotificationItemInput", { type = "failure", users = { USERS[1] } }))
  end)

  it("takes one to five users", function()
    assert.same({ "body.NotificationItemInput.users Array should have at least 1 item, not 0" },
      problems("NotificationItemInput", { type = "success", users = {} }))
    assert.same({ "body.NotificationItemInput.users Array should have at most 5 items, not 6" },
      problems("NotificationItemInput", { type = "success", users = USERS }))
  end)

  it("rejects a user named twice", function()
    assert.same({ "body.NotificationItemInput.users.2 Duplicate of item 1" },
      problems("NotificationItemInput", { type = "success", users = { USERS[1], USERS[1]:upper() } }))
  end)

  it("rejects a user id that is not an id", function()
    assert.same({ "body.NotificationItemInput.users.1 Input should be an id of 32 hexadecimal characters, not 'ops@acme.example'" },
      problems("NotificationItemInput", { type = "success", users = { "ops@acme.example" } }))
  end)
end)

describe("NotificationInput", function()
  it("sends the whole configuration", function()
    assert.equal('{"integrationIds":["' .. INTEGRATION .. '"],"channels":["email","in_app"],"notifications":{"config":'
      .. '[{"type":"full_failure","users":["' .. USERS[1] .. '"]}]}}', core.encode("NotificationInput", notification()))
  end)

  it("takes exactly one integration", function()
    assert.same({ "body.NotificationInput.integrationIds Array should have exactly 1 item, not 2" },
      problems("NotificationInput", notification({ integration_ids = { INTEGRATION, USERS[1] } })))
    assert.same({ "body.NotificationInput.integrationIds Array should have exactly 1 item, not 0" },
      problems("NotificationInput", notification({ integration_ids = {} })))
  end)

  it("takes the email and in_app channels, each once", function()
    assert.same({ "body.NotificationInput.channels.1 Input should be one of 'email', 'in_app', not 'sms'" },
      problems("NotificationInput", notification({ channels = { "sms" } })))
    assert.same({ "body.NotificationInput.channels.2 Duplicate of item 1" },
      problems("NotificationInput", notification({ channels = { "email", "email" } })))
    assert.same({ "body.NotificationInput.channels Array should have at least 1 item, not 0" },
      problems("NotificationInput", notification({ channels = {} })))
  end)

  it("takes one to three rules, one per outcome", function()
    local config = {
      { type = "success", users = { USERS[1] } },
      { type = "partial_failure", users = { USERS[2] } },
      { type = "success", users = { USERS[3] } },
    }
    assert.same({ "body.NotificationInput.notifications.config.3.type Duplicate of item 1's type" },
      problems("NotificationInput", notification({ notifications = { config = config } })))
    config[3].type = "full_failure"
    config[4] = { type = "success", users = { USERS[4] } }
    assert.same({ "body.NotificationInput.notifications.config Array should have at most 3 items, not 4" },
      problems("NotificationInput", notification({ notifications = { config = config } })))
  end)

  it("requires the config list", function()
    assert.same({ "body.NotificationInput.notifications.config Field required" },
      problems("NotificationInput", notification({ notifications = {} })))
  end)
end)
