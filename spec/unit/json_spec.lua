-- The JSON writer, seen through core.encode: escapes, numbers, empty
-- arrays and the UTF-8 check every string passes before it is written.
local cjson = require("cjson")
local core = require("anaplan.core")

local CONNECTION = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"

local function encode_name(name)
  return core.encode("ColumnMapping", { source_name = name, target_name = "t" })
end

describe("json strings", function()
  it("escapes quotes and backslashes", function()
    assert.equal([[{"sourceName":"say \"hi\" \\ bye","targetName":"t"}]], encode_name([[say "hi" \ bye]]))
  end)

  it("escapes control characters", function()
    assert.equal([[{"sourceName":"a\nb\tc\rd\be\ff\u0001g\u001fh\u007f","targetName":"t"}]],
      encode_name("a\nb\tc\rd\be\ff\1g\31h\127"))
  end)

  it("escapes a NUL byte", function()
    assert.equal([[{"sourceName":"a\u0000b","targetName":"t"}]], encode_name("a\0b"))
  end)

  it("copies UTF-8 text unchanged", function()
    assert.equal('{"sourceName":"Montréal – 東京 😀","targetName":"t"}', encode_name("Montréal – 東京 😀"))
  end)

  it("keeps a slash as it is", function()
    assert.equal('{"sourceName":"a/b","targetName":"t"}', encode_name("a/b"))
  end)

  it("decodes back to the same text", function()
    local text = "line\none \"two\" \\ \0 é\127"
    assert.equal(text, cjson.decode(encode_name(text)).sourceName)
  end)
end)

describe("json UTF-8 check", function()
  local invalid = {
    ["a lone continuation byte"] = "\x80",
    ["a truncated two-byte sequence"] = "\xc3",
    ["a truncated three-byte sequence"] = "\xe2\x82",
    ["an overlong slash"] = "\xc0\xaf",
    ["an overlong three-byte form"] = "\xe0\x80\xaf",
    ["an overlong four-byte form"] = "\xf0\x80\x80\xaf",
    ["a UTF-16 surrogate"] = "\xed\xa0\x80",
    ["a code point above U+10FFFF"] = "\xf4\x90\x80\x80",
    ["a byte that never starts a sequence"] = "\xff",
  }
  for case, bytes in pairs(invalid) do
    it("rejects " .. case, function()
      local ok, err = pcall(encode_name, "ok" .. bytes)
      assert.is_false(ok)
      assert.same({ { loc = "body.ColumnMapping.sourceName", msg = "Input should be valid UTF-8 text" } }, err.errors)
    end)
  end

  it("accepts the largest code point and the edges around surrogates", function()
    for _, text in ipairs({ "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf" }) do
      assert.equal(text, cjson.decode(encode_name(text)).sourceName)
    end
  end)
end)

describe("json values", function()
  it("writes an empty array as []", function()
    local json = core.encode("FlowStepInput", { referrer = CONNECTION })
    assert.truthy(json:find('"dependsOn":[]', 1, true))
  end)

  it("writes integers without a fraction", function()
    local json = core.encode("ScheduleInput", {
      name = "weekly", type = "weekly", time = "06:00", days_of_week = { 1.0, 5 },
      start_date = "2026-01-01", timezone = "Europe/London",
    })
    assert.truthy(json:find('"daysOfWeek":[1,5]', 1, true))
  end)

  it("writes numeric ids as strings", function()
    assert.equal('{"type":"Anaplan","actionId":"9007199254740993","fileId":"0"}',
      core.encode("AnaplanTarget", { action_id = 9007199254740993, file_id = 0 }))
  end)

  it("writes booleans", function()
    assert.equal('{"type":"GoogleBigQuery","connectionId":"' .. CONNECTION .. '","table":"t","overwrite":true}',
      core.encode("TableTarget", { connection_id = CONNECTION, table = "t", overwrite = true }))
  end)
end)
