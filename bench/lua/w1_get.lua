-- W1: GET /api/v1/todos/{id}, a todo of the token's user, round robin over reads.txt.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local c = require("common")
setup, done = c.setup, c.done

local tokens, reads, i, headers

function init(args)
  tokens, reads = c.lines("tokens.txt"), c.lines("reads.txt")
  i = (tid * 7919) % #reads
  headers = {}
  for u = 1, #tokens do headers[u] = { Authorization = "Bearer " .. tokens[u][1] } end
end

function request()
  i = i % #reads + 1
  local r = reads[i]
  return wrk.format("GET", "/api/v1/todos/" .. r[2], headers[tonumber(r[1]) + 1])
end
