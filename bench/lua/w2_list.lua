-- W2: GET /api/v1/todos?status=..&tag=..&limit=50, first pages of lists.txt, round robin.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local c = require("common")
setup, done = c.setup, c.done

local tokens, lists, i, headers

function init(args)
  tokens, lists = c.lines("tokens.txt"), c.lines("lists.txt")
  i = (tid * 31) % #lists
  headers = {}
  for u = 1, #tokens do headers[u] = { Authorization = "Bearer " .. tokens[u][1] } end
end

function request()
  i = i % #lists + 1
  local l = lists[i]
  return wrk.format("GET", "/api/v1/todos?" .. l[2], headers[tonumber(l[1]) + 1])
end
