-- W3: POST /api/v1/todos with two tags, round robin over creates.txt (users in turn, into
-- their Inbox or a shared list they may write to). At most BENCH_CAP a thread.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local c = require("common")
setup, done = c.setup, c.done

local tokens, creates, n, seen, headers
local priorities = { "low", "normal", "high" }
bad = 0

function init(args)
  tokens, creates, n, seen = c.lines("tokens.txt"), c.lines("creates.txt"), 0, 0
  headers = {}
  for u = 1, #tokens do
    headers[u] = {
      Authorization = "Bearer " .. tokens[u][1],
      ["Content-Type"] = "application/json",
    }
  end
end

function request()
  n = n + 1
  local into = creates[(n - 1) % #creates + 1]
  local body = string.format(
    '{%s"title":"Bench %s %d-%d","description":"Created by wrk","priority":"%s",' ..
    '"due_date":"2026-%02d-%02d","tags":["tag%02d","tag%02d"]}',
    c.into(into[2]), c.nonce, tid, n, priorities[n % 3 + 1], n % 12 + 1, n % 28 + 1, n % 20,
    (n * 7 + 3) % 20)
  return wrk.format("POST", "/api/v1/todos", headers[tonumber(into[1]) + 1], body)
end

function response(status, hdrs, body)
  if status < 200 or status > 299 then bad = bad + 1 end
  seen = seen + 1
  if seen >= c.cap then wrk.thread:stop() end
end
