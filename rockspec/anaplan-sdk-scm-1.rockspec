rockspec_format = "3.0"
package = "anaplan-sdk"
version = "scm-1"

source = {
  url = "git+file://.",
}

description = {
  summary = "Lua SDK for the Anaplan CloudWorks API, with a C core and a local emulator",
  detailed = [[
Create and run CloudWorks connections, integrations, schedules, notifications
and flows from Lua. A C core (libcurl, OpenSSL) validates every payload before
it is sent and makes the HTTP calls; a local CloudWorks emulator lets scripts
and tests run offline.
]],
  license = "Apache-2.0",
}

dependencies = {
  "lua >= 5.4",
  "lua-cjson",
  "luv",
}

-- libcurl and OpenSSL are found by CMake through pkg-config, which knows
-- Debian's multiarch include folders that LuaRocks' own header search misses.
build = {
  type = "cmake",
  variables = {
    CMAKE_BUILD_TYPE = "RelWithDebInfo",
    CMAKE_INSTALL_PREFIX = "$(PREFIX)",
    LUADIR = "$(LUADIR)",
    LIBDIR = "$(LIBDIR)",
  },
  install = {
    bin = {
      ["anaplan-cw-emulator"] = "bin/anaplan-cw-emulator",
    },
  },
}
