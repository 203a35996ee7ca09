-- W5: 80% reads (50% get by id, 30% filtered list) and 20% writes (10% create, 10% patch
-- with If-Match), interleaved request by request on every connection.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local c = require("common")
setup, done = c.setup, c.done

local tokens, reads, lists, creates, mine, versions, n, r, l, k, p, seen
local priorities = { "low", "normal", "high" }
bad = 0

function init(args)
  tokens, reads, lists = c.lines("tokens.txt"), c.lines("reads.txt"), c.lines("lists.txt")
  creates = c.lines("creates.txt")
  mine, versions = c.patch_share(tid, tonumber(os.getenv("BENCH_THREADS")))
  n, r, l, k, p, seen = 0, (tid * 7919) % #reads, (tid * 31) % #lists, 0, 0, 0
end

local function auth(user, json)
  local h = { Authorization = c.auth(tokens, user) }
  if json then h["Content-Type"] = "application/json" end
  return h
end

function request()
  n = n + 1
  local slot = n % 10
  if slot < 5 then
    r = r % #reads + 1
    return wrk.format("GET", "/api/v1/todos/" .. reads[r][2], auth(reads[r][1]))
  elseif slot < 8 then
    l = l % #lists + 1
    return wrk.format("GET", "/api/v1/todos?" .. lists[l][2], auth(lists[l][1]))
  elseif slot == 8 then
    k = k % #creates + 1
    local body = string.format(
      '{%s"title":"Mixed %s %d-%d","priority":"%s","tags":["tag%02d","tag%02d"]}',
      c.into(creates[k][2]), c.nonce, tid, n, priorities[n % 3 + 1], n % 20, (n * 7 + 3) % 20)
    return wrk.format("POST", "/api/v1/todos", auth(creates[k][1], true), body)
  end
  p = p % #mine + 1
  local t = mine[p]
  local h = auth(t.user, true)
  h["If-Match"] = '"' .. versions[t.id] .. '"'
  local body = string.format('{"title":"Mixed patch %s %d-%d"}', c.nonce, tid, n)
  return wrk.format("PATCH", "/api/v1/todos/" .. t.id, h, body)
end

function response(status, hdrs, body)
  if status < 200 or status > 299 then bad = bad + 1 end
  c.track(versions, body)
  seen = seen + 1
  if seen >= c.cap then wrk.thread:stop() end
end
