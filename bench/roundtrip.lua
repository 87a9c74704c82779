-- Benchmark: requests per second and latency of whole SDK calls against a
-- local emulator, with one client that keeps its connection alive.
--
--   lua5.4 bench/roundtrip.lua [calls per measurement, default 2000]
--
-- Not a test: it prints its figures. Each call goes through the whole SDK
-- (validation, libcurl, JSON decoding) and the emulator (a Lua process on
-- luv), so the figures measure the pair, on this machine, over loopback.
-- The client reuses its connection for GET and DELETE, but the SDK gives
-- each POST a new connection, and the TCP column shows how many it opened.
local script_dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = script_dir .. "/../lua/?.lua;" .. script_dir .. "/../lua/?/init.lua;" .. package.path
package.cpath = script_dir .. "/../build/?.so;" .. package.cpath

local anaplan = require("anaplan")
local core = require("anaplan.core")
local cw_models = require("anaplan.cloud_works")

-- The emulator keeps the last 10000 requests in its log, and a
-- create-and-delete call makes two.
local MAX_CALLS = 5000
local calls = math.tointeger(tonumber(arg and arg[1] or "2000"))
if calls == nil or calls < 1 or calls > MAX_CALLS then
  io.stderr:write(string.format("usage: lua5.4 bench/roundtrip.lua [calls, 1 to %d]; got %s\n",
    MAX_CALLS, tostring(arg and arg[1])))
  os.exit(2)
end
local CONNECTIONS_LISTED = 20

local emulator = require("anaplan.emulator").start { port = 0 }
local client = anaplan.Client {
  user_email = "dev@example.com",
  password = "dev",
  auth_url = emulator.auth_url,
  cloudworks_url = emulator.cloudworks_url,
}
local cw = client.cw

local function connection_input(name)
  return cw_models.ConnectionInput {
    type = "AzureBlob",
    body = cw_models.AzureBlobConnectionInput {
      name = name,
      storage_account_name = "benchstorage",
      container_name = "planning-data",
      sas_token = "sp=r&st=2026-12-01&sig=bench",
    },
  }
end

-- Returns the value at fraction p of a sorted array (nearest rank).
local function percentile(sorted, p)
  local rank = math.max(1, math.ceil(p * #sorted))
  return sorted[rank]
end

local port = emulator.base_url:match(":(%d+)$")

-- Counts the client sockets to the emulator's port in any state, TIME-WAIT
-- included, as ss(8) lists them, or returns nil without ss. Linux keeps a
-- socket that closed first in TIME-WAIT for 60 s (TCP_TIMEWAIT_LEN in the
-- kernel's include/net/tcp.h), so two counts less than a minute apart
-- differ by the connections opened.
-- NOTE: a connection that the emulator closed first leaves no TIME-WAIT
-- socket on this side, so it would be missed.
local function client_sockets()
  local listing = io.popen("ss -Htan '( dport = :" .. port .. " )' 2>/dev/null")
  if listing == nil then
    return nil
  end
  local count = 0
  for _ in listing:lines() do
    count = count + 1
  end
  local ok = listing:close()
  return ok and count or nil
end

-- Calls fn `calls` times, timing each call with the core's monotonic clock,
-- and prints calls per second, requests per second, the latency
-- percentiles in milliseconds, and this process's share of CPU time. The request count comes from the emulator's
-- log, which is cleared first so that its growth is not timed.
local function measure(label, fn)
  emulator:clear_requests()
  local sockets_before = client_sockets()
  local latencies = {}
  local cpu_started = os.clock()
  local started = core.monotonic()
  for i = 1, calls do
    local t0 = core.monotonic()
    fn(i)
    latencies[i] = core.monotonic() - t0
  end
  local elapsed = core.monotonic() - started
  local cpu = os.clock() - cpu_started
  local sockets_after = client_sockets()
  local requests = #emulator:requests()

  table.sort(latencies)
  local opened = sockets_before and sockets_after and tostring(sockets_after - sockets_before) or "?"
  print(string.format("%-38s %6d %8.0f %8.0f %7.3f %7.3f %7.3f %6s %6.0f%%", label, calls, calls / elapsed,
    requests / elapsed, percentile(latencies, 0.50) * 1e3, percentile(latencies, 0.90) * 1e3,
    percentile(latencies, 0.99) * 1e3, opened, cpu / elapsed * 100))
end

local ok, err = pcall(function()
  local listed = {}
  for i = 1, CONNECTIONS_LISTED do
    listed[i] = cw:create_connection(connection_input("bench-listed-" .. i))
  end
  -- The login and this first list open the connections that the timed
  -- GETs reuse.
  assert(#cw:list_connections() == CONNECTIONS_LISTED, "the emulator should list the connections just made")

  print(string.format("%-38s %6s %8s %8s %7s %7s %7s %6s %7s", "call", "calls", "calls/s", "req/s",
    "p50 ms", "p90 ms", "p99 ms", "TCP", "SDK CPU"))
  measure(string.format("list_connections (%d items)", CONNECTIONS_LISTED), function()
    cw:list_connections()
  end)
  measure("create_connection + delete_connection", function(i)
    cw:delete_connection(cw:create_connection(connection_input("bench-" .. i)))
  end)
  print("TCP: connections opened during the measurement (the SDK opens a new one for each POST)")
  print("SDK CPU: CPU time of this process (SDK and libcurl) as a share of the wall time")

  for _, id in ipairs(listed) do
    cw:delete_connection(id)
  end
end)

client:close()
emulator:stop()
if not ok then
  io.stderr:write("roundtrip.lua failed: ", tostring(err), "\n")
  os.exit(1)
end
