-- luacheck for the Redis scripts (the expanded <build>/lua/*/*.lua that
-- Redis runs). Redis runs Lua 5.1 with these globals and nothing else.
std = "lua51"
read_globals = {"redis", "KEYS", "ARGV", "cjson", "cmsgpack", "bit",
                "struct"}
max_line_length = 100
