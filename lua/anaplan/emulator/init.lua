-- require("anaplan.emulator"): starts a CloudWorks emulator as a child process
-- and drives its control API.
--
--   local emulator = require("anaplan.emulator").start{ port = 0 }
--   -- point auth_url at emulator.auth_url, cloudworks_url at emulator.cloudworks_url
--   emulator:stop()
--
-- The child gets --parent-pid, so it exits within a second of this process
-- ending, even when stop() is never called. The blocking calls here run the
-- default luv loop, so they cannot be made from inside a luv callback.
local uv = require("luv")
local json = require("anaplan.emulator.json")
local client = require("anaplan.emulator.client")

local emulator = {}

local Emulator = {}
Emulator.__index = Emulator

local START_TIMEOUT = 10
local STOP_TIMEOUT = 5

-- Options of start() and the Lua type each must have.
local START_OPTIONS = {
  host = "string",
  port = "integer",
  user_email = "string",
  password = "string",
  token_ttl = "number",
  page_cap = "integer",
  run_duration = "number",
  max_lifetime = "number",
  quiet = "boolean",
  lua = "string",
}

local function check_options(options)
  if type(options) ~= "table" then
    error("anaplan.emulator.start: options must be a table, got " .. type(options), 3)
  end
  for key, value in pairs(options) do
    local expected = START_OPTIONS[key]
    if not expected then
      error(string.format("anaplan.emulator.start: unknown option %q", tostring(key)), 3)
    end
    local actual = math.type(value) or type(value)
    local matches = actual == expected or (expected == "number" and type(value) == "number")
    if not matches then
      error(string.format("anaplan.emulator.start: option %s must be a %s, got %s", key, expected, actual), 3)
    end
  end
end

-- Returns the command-line arguments for the child's main.lua.
local function child_arguments(options, main_path)
  local setup = string.format("package.path = %q; package.cpath = %q", package.path, package.cpath)
  local args = {
    "-e", setup, main_path,
    "--host", options.host or "127.0.0.1",
    "--port", tostring(options.port or 0),
    "--parent-pid", string.format("%d", uv.os_getpid()),
    "--max-lifetime", tostring(options.max_lifetime or 3600),
    "--password-stdin",
  }
  local flags = { user_email = "--user", token_ttl = "--token-ttl", page_cap = "--page-cap",
    run_duration = "--run-duration" }
  for key, flag in pairs(flags) do
    if options[key] ~= nil then
      args[#args + 1] = flag
      args[#args + 1] = tostring(options[key])
    end
  end
  if options.quiet ~= false then
    args[#args + 1] = "--quiet"
  end
  return args
end

-- Starts an emulator in a child process and returns its handle once it
-- listens. options (all optional): host, port (0 = any free port),
-- user_email, password, token_ttl, page_cap, run_duration, max_lifetime
-- (seconds, 3600 by default; 0 = no limit), quiet (false logs each request
-- to stderr), lua (the Lua 5.4 interpreter, "lua5.4" by default).
-- Raises an error when the child cannot start or prints no URL within 10 s.
function emulator.start(options)
  options = options or {}
  check_options(options)
  client.check_loop_idle("anaplan.emulator.start")
  local main_path = package.searchpath("anaplan.emulator.main", package.path)
  if not main_path then
    error("anaplan.emulator.start: anaplan/emulator/main.lua is not on package.path", 2)
  end

  -- The exit callback stays referenced by luv while the child runs, so it
  -- must not capture the handle, or the handle could never be collected.
  local child = { exited = false }
  local self = setmetatable({ child = child }, Emulator)
  local stdin, stdout = uv.new_pipe(false), uv.new_pipe(false)
  local process, pid = uv.spawn(options.lua or "lua5.4", {
    args = child_arguments(options, main_path),
    stdio = { stdin, stdout, 2 },
  }, function(code, signal)
    child.exited = true
    child.exit_code = code
    child.exit_signal = signal
  end)
  if not process then
    stdin:close()
    stdout:close()
    uv.run("nowait")
    error("anaplan.emulator.start: cannot run " .. (options.lua or "lua5.4") .. ": " .. tostring(pid), 2)
  end
  self.process, self.pid = process, pid

  -- The password goes through a pipe, so it never shows in a process list.
  local pipes_open = 2
  local function close_pipe(pipe)
    if not pipe:is_closing() then
      pipe:close(function()
        pipes_open = pipes_open - 1
      end)
    end
  end
  stdin:write(options.password or "dev", function()
    close_pipe(stdin)
  end)

  local output = ""
  stdout:read_start(function(_, data)
    if data then
      output = output .. data
    else
      close_pipe(stdout)
    end
  end)
  local printed = client.run_until(function()
    return output:find("\n", 1, true) ~= nil or child.exited
  end, START_TIMEOUT)

  local url = output:match("^(http://[^\r\n]+:%d+)\r?\n")
  if not url then
    self:kill("sigkill")
    client.run_until(function() return child.exited end, STOP_TIMEOUT)
  end

  -- luv 1.44 crashes at exit when a pipe is still closing, so both closes
  -- must finish here. The child exiting ends the stdin write at the latest.
  close_pipe(stdout)
  if child.exited then
    close_pipe(stdin)
  end
  client.run_until(function()
    return pipes_open == 0
  end, STOP_TIMEOUT)

  if not url then
    local reason = printed and "exited before printing its URL"
      or string.format("printed no URL within %d s", START_TIMEOUT)
    error("anaplan.emulator.start: the emulator " .. reason .. " (see its messages on stderr)", 2)
  end

  -- The child must not keep a caller's own luv loop running.
  process:unref()
  self.base_url = url
  self.auth_url = url
  self.cloudworks_url = url .. "/2/0"
  local host, port = url:match("^http://%[?([^%]]-)%]?:(%d+)$")
  self.host, self.port = host, tonumber(port)
  return self
end

---------------------------------------------------------------------------
-- Control calls
---------------------------------------------------------------------------

-- Sends a control request and returns the decoded response. Raises on failure.
function Emulator:call(method, path, body)
  if self.stopped then
    error("the emulator at " .. self.base_url .. " has been stopped", 3)
  end
  local status, _, text = client.request({
    host = self.host,
    port = self.port,
    method = method,
    path = "/__emulator" .. path,
    headers = body and { ["Content-Type"] = "application/json" } or nil,
    body = body and json.encode(body) or nil,
  })
  if not status then
    error(string.format("emulator control call %s %s failed: %s", method, path, text or "no response"), 3)
  end
  local response = json.decode(text)
  if status >= 300 then
    local message = type(response) == "table" and type(response.status) == "table" and response.status.message or text
    error(string.format("emulator control call %s %s failed with %d: %s", method, path, status, message), 3)
  end
  return response
end

-- Returns the log of auth and CloudWorks requests received, oldest first.
function Emulator:requests()
  return self:call("GET", "/requests").requests
end

function Emulator:clear_requests()
  self:call("DELETE", "/requests")
end

-- Forgets CloudWorks state, the request log, faults and tokens.
function Emulator:reset()
  self:call("POST", "/reset")
end

-- Changes page_cap, run_duration and token_ttl (each optional) at run time.
function Emulator:configure(settings)
  self:call("POST", "/config", json.object(settings or {}))
end

-- Adds a fault. Its fields are those of POST /__emulator/faults: method,
-- path, count, kind, status, retry_after, echo_body, seconds.
function Emulator:fault(fault)
  self:call("POST", "/faults", json.object(fault or {}))
end

function Emulator:clear_faults()
  self:call("DELETE", "/faults")
end

-- Queues the outcome ("success", "partial_failure" or "failure") of the
-- next run of an integration.
function Emulator:set_next_outcome(integration_id, outcome)
  self:call("POST", "/outcome", { integrationId = integration_id, outcome = outcome })
end

-- Makes every token issued so far expire now.
function Emulator:expire_tokens()
  self:call("POST", "/tokens/expire")
end

---------------------------------------------------------------------------
-- Stopping
---------------------------------------------------------------------------

-- Waits up to seconds for the child to exit. Returns whether it has exited,
-- and its exit code.
function Emulator:wait(seconds)
  client.check_loop_idle("emulator:wait")
  client.run_until(function()
    return self.child.exited
  end, seconds)
  return self.child.exited, self.child.exit_code
end

-- Sends a signal to the child unless it has exited. uv.kill needs no loop
-- or handle, so this is safe from a finalizer too.
function Emulator:kill(signal)
  if self.pid and not self.child.exited then
    uv.kill(self.pid, signal or "sigterm")
  end
end

-- Stops the child: requests a shutdown, waits for the child to exit, and
-- sends it SIGTERM, then SIGKILL, when it does not. Safe to call more than once.
function Emulator:stop()
  if self.stopped then
    return
  end
  client.check_loop_idle("emulator:stop")
  if not self.child.exited then
    pcall(self.call, self, "POST", "/shutdown")
  end
  self.stopped = true
  if not self:wait(STOP_TIMEOUT) then
    self:kill("sigterm")
    if not self:wait(STOP_TIMEOUT) then
      self:kill("sigkill")
      self:wait(STOP_TIMEOUT)
    end
  end
  if not self.process:is_closing() then
    self.process:close()
  end
  uv.run("nowait")
end

-- A handle that is collected or leaves a <close> scope stops its child. The
-- collector cannot run the loop safely, so it only sends SIGTERM.
function Emulator:__gc()
  if not self.stopped then
    self.stopped = true
    self:kill("sigterm")
  end
end

function Emulator:__close()
  if uv.loop_mode() then
    self:__gc()
  else
    self:stop()
  end
end

return emulator
