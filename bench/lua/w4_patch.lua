-- W4: PATCH /api/v1/todos/{id} with If-Match. Each thread patches its own disjoint share of
-- patches.txt round robin and reads the new version back from the response body, so the
-- If-Match is right (the share is far longer than the connections a thread has in flight).
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local c = require("common")
setup, done = c.setup, c.done

local tokens, mine, versions, i, n, seen
local priorities = { "low", "normal", "high" }
bad = 0

function init(args)
  tokens = c.lines("tokens.txt")
  mine, versions = c.patch_share(tid, tonumber(os.getenv("BENCH_THREADS")))
  i, n, seen = 0, 0, 0
end

function request()
  i = i % #mine + 1
  n = n + 1
  local t = mine[i]
  local body = string.format('{"title":"Patched %s %d-%d","priority":"%s"}',
    c.nonce, tid, n, priorities[n % 3 + 1])
  return wrk.format("PATCH", "/api/v1/todos/" .. t.id, {
    Authorization = c.auth(tokens, t.user),
    ["Content-Type"] = "application/json",
    ["If-Match"] = '"' .. versions[t.id] .. '"',
  }, body)
end

function response(status, hdrs, body)
  if status < 200 or status > 299 then bad = bad + 1 end
  c.track(versions, body)
  seen = seen + 1
  if seen >= c.cap then wrk.thread:stop() end
end
