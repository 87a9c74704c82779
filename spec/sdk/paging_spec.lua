-- Paging end to end. The emulator cuts every page to 2 items while the
-- client asks for 5, as the live API may do. The SDK must page by the size
-- it received and still return every item exactly once.
local sdk = require("helpers.sdk")

local PAGE_CAP = 2
local PAGE_SIZE = 5

-- Returns the ids of a list in order, read from field.
local function ids_of(list, field)
  local ids = {}
  for _, item in ipairs(list) do
    ids[#ids + 1] = item[field]
  end
  return ids
end

-- Returns the limit/offset query of every logged GET of route.
local function page_queries(emulator, route)
  local queries = {}
  for _, entry in ipairs(sdk.cloudworks_requests(emulator)) do
    if entry.method == "GET" and entry.route == route then
      queries[#queries + 1] = sdk.query_of(entry)
    end
  end
  return queries
end

describe("paging", function()
  local emulator, cw

  sdk.client_for_each_test(function(shared_emulator, new_client)
    emulator, cw = shared_emulator, new_client.cw
  end, {
    emulator = { page_cap = PAGE_CAP },
    reset = { page_cap = PAGE_CAP },
    client = { page_size = PAGE_SIZE },
  })

  local function make_connections(count)
    local ids = {}
    for i = 1, count do
      ids[i] = sdk.make_connection(cw, string.format("paged-%02d", i))
    end
    return ids
  end

  it("list_connections follows the page size the server returned", function()
    local created = make_connections(5)
    emulator:clear_requests()

    local list = cw:list_connections()

    assert.are.same({
      { limit = "5", offset = "0" },
      { limit = "5", offset = "2" },
      { limit = "5", offset = "4" },
    }, page_queries(emulator, "/integrations/connections"))
    assert.are.equal(3, #sdk.cloudworks_requests(emulator))
    assert.are.same(created, ids_of(list, "connectionId"))
  end)

  it("list_connections stops at the total without an empty page", function()
    local created = make_connections(4)
    emulator:clear_requests()

    local list = cw:list_connections()

    assert.are.same({
      { limit = "5", offset = "0" },
      { limit = "5", offset = "2" },
    }, page_queries(emulator, "/integrations/connections"))
    assert.are.same(created, ids_of(list, "connectionId"))
  end)

  it("list_connections asks once when everything fits", function()
    local created = make_connections(1)
    emulator:clear_requests()

    local list = cw:list_connections()

    assert.are.same({ { limit = "5", offset = "0" } }, page_queries(emulator, "/integrations/connections"))
    assert.are.same(created, ids_of(list, "connectionId"))
  end)

  it("list_integrations keeps the sort on every page", function()
    local connection_id = sdk.make_connection(cw, "paged-source")
    local names = { "e", "a", "d", "b", "c" }
    for _, name in ipairs(names) do
      sdk.make_import_integration(cw, connection_id, "integration-" .. name)
    end
    emulator:clear_requests()

    local list = cw:list_integrations { sort_by = "name", descending = true, current_user_only = true }

    assert.are.same({
      { limit = "5", offset = "0", sortBy = "-name", myIntegrations = "1" },
      { limit = "5", offset = "2", sortBy = "-name", myIntegrations = "1" },
      { limit = "5", offset = "4", sortBy = "-name", myIntegrations = "1" },
    }, page_queries(emulator, "/integrations"))
    assert.are.same({ "integration-e", "integration-d", "integration-c", "integration-b", "integration-a" },
      ids_of(list, "name"))
  end)

  it("list_flows returns every flow once", function()
    local connection_id = sdk.make_connection(cw, "paged-flow-source")
    local first = sdk.make_import_integration(cw, connection_id, "paged-first")
    local second = sdk.make_import_integration(cw, connection_id, "paged-second")
    local created = {}
    for i = 1, 3 do
      created[i] = cw.flows:create_flow(sdk.flow_input(first, second, "paged-flow-" .. i))
    end
    emulator:clear_requests()

    local list = cw.flows:list_flows()

    assert.are.same({
      { limit = "5", offset = "0" },
      { limit = "5", offset = "2" },
    }, page_queries(emulator, "/integrationflows"))
    assert.are.same(created, ids_of(list, "id"))
  end)

  it("get_run_history returns every run once", function()
    local connection_id = sdk.make_connection(cw, "paged-run-source")
    local integration_id = sdk.make_import_integration(cw, connection_id, "paged-runs")
    local runs = {}
    for i = 1, 3 do
      runs[i] = sdk.finished_run(cw, integration_id)
    end
    emulator:clear_requests()

    local history = cw:get_run_history(integration_id)

    assert.are.same({
      { limit = "5", offset = "0" },
      { limit = "5", offset = "2" },
    }, page_queries(emulator, "/integrations/runs/" .. integration_id))
    -- The history lists the newest run first.
    assert.are.same({ runs[3], runs[2], runs[1] }, ids_of(history, "id"))
  end)
end)
