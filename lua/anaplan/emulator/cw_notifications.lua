-- CloudWorks notification configurations: create, get, PUT and DELETE.
--
-- Every integration gets a configuration when it is created, so a create
-- for an integration only succeeds after its configuration was deleted.
-- NOTE: the live default's channels and rules are not documented. The
-- emulator starts with none.
local json = require("anaplan.emulator.json")
local common = require("anaplan.emulator.cw_common")

local notifications = {}

local CHANNELS = { "email", "in_app" }
local EVENT_TYPES = { "success", "partial_failure", "full_failure" }
local CHANNEL_SPEC = { type = "string", required = true, enum = CHANNELS }

-- Stores a configuration, attaches it to its integrations and returns it.
function notifications.new_record(state, ctx, integration_ids, channels, config)
  local record = common.new_record(state, ctx)
  state.notifications[record.id] = record
  notifications.assign(state, record, integration_ids, channels, config)
  return record
end

-- Replaces the integrations, channels and rules of a configuration.
function notifications.assign(state, record, integration_ids, channels, config)
  for _, integration_id in ipairs(record.integration_ids or {}) do
    local integration = state.integrations[integration_id]
    if integration then
      integration.notification_id = nil
    end
  end
  record.integration_ids = json.array(integration_ids)
  record.channels = channels
  record.config = config
  for _, integration_id in ipairs(integration_ids) do
    state.integrations[integration_id].notification_id = record.id
  end
end

-- Removes a deleted integration from its configuration, and the
-- configuration itself once no integration uses it.
function notifications.detach(state, integration_id)
  for id, record in pairs(state.notifications) do
    for index, attached in ipairs(record.integration_ids) do
      if attached == integration_id then
        table.remove(record.integration_ids, index)
        break
      end
    end
    if #record.integration_ids == 0 then
      state.notifications[id] = nil
    end
  end
end

local function check_rule(check, value, path)
  local rule = check:value(value, path, { type = "object", required = true })
  if not rule then
    return nil
  end
  local event_type = check:field(rule, "type", path, { type = "string", required = true, enum = EVENT_TYPES })
  local users = check:field(rule, "users", path, { type = "array", required = true, min_items = 1, max_items = 5 })
  return { type = event_type, users = check:values(users, path .. ".users", common.ID_SPEC, "repeats an earlier item") }
end

-- Checks the integrations a request names: each must exist and must not
-- have another configuration. Returns false when one already has one.
local function check_integrations(check, state, ids, own_id)
  local duplicate = false
  for index, id in ipairs(ids) do
    local path = string.format("body.integrationIds[%d]", index - 1)
    local valid = check:value(id, path, common.ID_SPEC)
    local integration = valid and state.integrations[id]
    if valid and not integration then
      check:add(path, "no integration has this id")
    elseif integration and integration.notification_id and integration.notification_id ~= own_id then
      duplicate = true
    end
  end
  return not duplicate
end

-- Checks a NotificationRequest body. Returns a table of integration ids,
-- channels and rules, or nil when a problem was added. The second result is
-- false when a named integration already has a configuration other than
-- `own_id`.
local function check_request(check, state, req, own_id)
  local body = check:body(req)
  if not body then
    return nil, true
  end
  -- The live API takes one integration per configuration today.
  local ids = check:field(body, "integrationIds", "body", { type = "array", required = true, min_items = 1, max_items = 1 })
  local channels = check:field(body, "channels", "body", { type = "array", required = true })
  local rules = check:field(body, "notifications", "body", { type = "object", required = true })
  local config = rules and check:field(rules, "config", "body.notifications", { type = "array", required = true })

  local unique = true
  if ids then
    unique = check_integrations(check, state, ids, own_id)
  end
  local stored_channels = check:values(channels, "body.channels", CHANNEL_SPEC, "repeats an earlier item")
  local seen_types = {}
  local stored_config = check:each(config, "body.notifications.config", function(value, path)
    local rule = check_rule(check, value, path)
    check:no_repeat(seen_types, rule and rule.type, path .. ".type", "repeats an earlier rule's type")
    return rule
  end)
  if not check:ok() then
    return nil, unique
  end
  return { integration_ids = common.array_copy(ids), channels = stored_channels, config = stored_config }, unique
end

-- Returns firstName and lastName of a user the emulator has seen sign in.
-- Users it has never seen get empty names: it has no directory to ask.
local function user_names(state, user_id)
  local user = state.users[user_id]
  if not user or not user.name then
    return "", ""
  end
  local first, last = user.name:match("^(%S+)%s+(.+)$")
  if first then
    return first, last
  end
  return user.name, ""
end

-- Returns the NotificationConfig form of a stored configuration.
function notifications.view(state, record)
  local config = json.array()
  for index, rule in ipairs(record.config) do
    local users = json.array()
    for user_index, user_id in ipairs(rule.users) do
      local first, last = user_names(state, user_id)
      users[user_index] = { userGuid = user_id, firstName = first, lastName = last }
    end
    config[index] = { type = rule.type, users = users }
  end
  return {
    notificationId = record.id,
    integrationIds = common.array_copy(record.integration_ids),
    channels = common.array_copy(record.channels),
    notifications = { config = config },
  }
end

local function duplicate_configuration()
  return common.failure(400, "Duplicate resource name not allowed", {
    "body.integrationIds: the integration already has a notification configuration",
  })
end

-- Checks the NotificationRequest body of a create (own_id nil) or of an
-- update of configuration own_id. Returns the checked request, or nil
-- followed by the status and body of the 400 response to send.
local function read_request(state, ctx, own_id)
  local check = common.checker()
  local request, unique = check_request(check, state, ctx.req, own_id)
  if not request then
    return nil, common.invalid_body(check.problems)
  end
  if not unique then
    return nil, duplicate_configuration()
  end
  return request
end

local with_configuration = common.record_route("notifications", "notificationId", "Notification configuration")

-- POST /integrations/notification
function notifications.create(state, ctx)
  local request, status, body = read_request(state, ctx, nil)
  if not request then
    return status, body
  end
  local record = notifications.new_record(state, ctx, request.integration_ids, request.channels, request.config)
  return common.success({ notification = { notificationId = record.id } })
end

-- GET /integrations/notification/{notificationId}
notifications.get = with_configuration(function(state, ctx, record)
  return common.success({ notifications = notifications.view(state, record) })
end)

-- PUT /integrations/notification/{notificationId}: replaces the whole
-- configuration with the NotificationRequest body.
notifications.update = with_configuration(function(state, ctx, record)
  local request, status, body = read_request(state, ctx, record.id)
  if not request then
    return status, body
  end
  notifications.assign(state, record, request.integration_ids, request.channels, request.config)
  return common.success()
end)

-- DELETE /integrations/notification/{notificationId}: its integrations are
-- left without a configuration.
notifications.delete = with_configuration(function(state, ctx, record)
  notifications.assign(state, record, {}, json.array(), json.array())
  state.notifications[record.id] = nil
  return common.success()
end)

return notifications
