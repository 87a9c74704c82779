-- The anaplan-cw-emulator command: parses options, starts the emulator and
-- runs the luv loop until shutdown, a signal, the lifetime limit, or the end
-- of the parent process. Also runs as a script: `lua5.4 main.lua OPTIONS`.
local uv = require("luv")
local server = require("anaplan.emulator.server")

local main = {}

local PROGRAM = "anaplan-cw-emulator"

local USAGE = [[
Usage: anaplan-cw-emulator [OPTIONS]

Serves the Anaplan auth API and CloudWorks 2.0 on a loopback address, with
state in memory. The first line on stdout is the base URL. Point auth_url at
it and cloudworks_url at BASE_URL/2/0.

Options:
  --host HOST           loopback address to listen on: 127.0.0.0/8, ::1 or
                        localhost (default 127.0.0.1)
  --port N              port to listen on; 0 picks a free port (default 0)
  --user EMAIL          email that basic login accepts (default dev@example.com)
  --password PW         password that basic login accepts (default dev)
  --password-stdin      read that password from standard input instead
  --token-ttl S         seconds a token lives (default 2100)
  --page-cap N          largest page a list returns, whatever limit is asked
                        (default 1000)
  --run-duration S      seconds a run takes from start to end (default 1.0)
  --max-lifetime S      exit after S seconds; 0 means no limit (default 0)
  --parent-pid PID      exit once process PID is gone (checked every second)
  --quiet               do not log each request to stderr
  --help                show this help and exit
]]

local function parse_integer(text, min, max)
  local value = math.tointeger(tonumber(text))
  if value and value >= min and (not max or value <= max) then
    return value
  end
end

local function parse_seconds(text, allow_zero)
  local value = tonumber(text)
  if value and value == value and value ~= math.huge and (value > 0 or (allow_zero and value == 0)) then
    return value
  end
end

-- Options that take a value: the key in the settings table, a parser that
-- returns the value or nil, and the expected value for error messages.
local VALUE_OPTIONS = {
  ["--host"] = { "host", function(text) return text end, "a loopback address" },
  ["--port"] = { "port", function(text) return parse_integer(text, 0, 65535) end, "an integer from 0 to 65535" },
  ["--user"] = { "user_email", function(text) return text ~= "" and text or nil end, "an email address" },
  ["--password"] = { "password", function(text) return text end, "a password" },
  ["--token-ttl"] = { "token_ttl", function(text) return parse_seconds(text, false) end, "seconds above 0" },
  ["--page-cap"] = { "page_cap", function(text) return parse_integer(text, 1) end, "a positive integer" },
  ["--run-duration"] = { "run_duration", function(text) return parse_seconds(text, true) end, "seconds, 0 or more" },
  ["--max-lifetime"] = { "max_lifetime", function(text) return parse_seconds(text, true) end, "seconds, 0 or more" },
  ["--parent-pid"] = { "parent_pid", function(text) return parse_integer(text, 1) end, "a process id" },
}

local FLAG_OPTIONS = {
  ["--quiet"] = "quiet",
  ["--password-stdin"] = "password_stdin",
  ["--help"] = "help",
}

-- Returns the settings that argv requests, or nil and a message.
function main.parse_arguments(argv)
  local settings = { host = "127.0.0.1", port = 0, max_lifetime = 0 }
  local i = 1
  while i <= #argv do
    local argument = argv[i]
    local name, inline_value = argument:match("^(%-%-[%w-]+)=(.*)$")
    name = name or argument

    if FLAG_OPTIONS[name] and not inline_value then
      settings[FLAG_OPTIONS[name]] = true
    elseif VALUE_OPTIONS[name] then
      local key, parse, expected = table.unpack(VALUE_OPTIONS[name])
      local text = inline_value
      if not text then
        i = i + 1
        text = argv[i]
      end
      if text == nil then
        return nil, name .. " needs a value: " .. expected
      end
      local value = parse(text)
      if value == nil then
        return nil, string.format("%s must be %s, got %q", name, expected, text)
      end
      settings[key] = value
    else
      return nil, string.format("unknown option %q (see --help)", argument)
    end
    i = i + 1
  end
  if settings.password_stdin and settings.password then
    return nil, "--password and --password-stdin cannot be used together"
  end
  return settings
end

local function report(message)
  io.stderr:write(PROGRAM, ": ", message, "\n")
  io.stderr:flush()
end

-- Reads the password from standard input, without one trailing newline.
local function read_password()
  local text = io.stdin:read("a") or ""
  return (text:gsub("\r?\n$", ""))
end

-- Starts the timers and signal handlers that stop the emulator. Returns a
-- function that closes them.
local function watch_for_stop(emulator, settings)
  local handles = {}

  if settings.max_lifetime > 0 then
    local timer = uv.new_timer()
    timer:start(math.floor(settings.max_lifetime * 1000), 0, function()
      emulator:stop(string.format("the maximum lifetime of %g s has passed", settings.max_lifetime))
    end)
    handles[#handles + 1] = timer
  end

  if settings.parent_pid then
    local timer = uv.new_timer()
    timer:start(1000, 1000, function()
      if not uv.kill(settings.parent_pid, 0) then
        emulator:stop(string.format("parent process %d has exited", settings.parent_pid))
      end
    end)
    handles[#handles + 1] = timer
  end

  for _, name in ipairs({ "sigint", "sigterm" }) do
    local signal = uv.new_signal()
    signal:start(name, function()
      emulator:stop("received " .. name:upper())
    end)
    handles[#handles + 1] = signal
  end

  return function()
    for _, handle in ipairs(handles) do
      if not handle:is_closing() then
        handle:close()
      end
    end
  end
end

-- Runs the command with the arguments in argv. Returns the exit status:
-- 0 after a normal stop, 1 when the server cannot start, 2 for bad usage.
function main.run(argv)
  local settings, message = main.parse_arguments(argv or {})
  if not settings then
    report(message)
    return 2
  end
  if settings.help then
    io.stdout:write(USAGE)
    return 0
  end
  local host
  host, message = server.loopback_address(settings.host)
  if not host then
    report(message)
    return 2
  end
  if settings.password_stdin then
    settings.password = read_password()
  end

  local function log(line)
    io.stderr:write(line, "\n")
  end
  local quiet_report = settings.quiet and function() end or report
  local close_watchers
  local emulator
  emulator, message = server.start({
    host = host,
    port = settings.port,
    user_email = settings.user_email,
    password = settings.password,
    token_ttl = settings.token_ttl,
    page_cap = settings.page_cap,
    run_duration = settings.run_duration,
    log = not settings.quiet and log or nil,
    on_error = report,
    on_stop = function(reason)
      quiet_report("stopped: " .. reason)
      if close_watchers then
        close_watchers()
      end
    end,
  })
  if not emulator then
    report(message)
    return 1
  end

  io.stdout:write(emulator.base_url, "\n")
  io.stdout:flush()
  quiet_report(string.format("listening on %s (CloudWorks at %s, login %s)",
    emulator.base_url, emulator.cloudworks_url, emulator.auth.email))
  close_watchers = watch_for_stop(emulator, settings)

  uv.run("default")
  return 0
end

-- Run as a script (not required as a module): `...` contains the arguments.
if (...) ~= "anaplan.emulator.main" then
  os.exit(main.run({ ... }))
end

return main
