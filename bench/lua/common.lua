-- Shared by the workload scripts: data files, per-thread state and the result line.
--
-- Environment (set by bench/run.py):
--   BENCH_DATA   directory with tokens.txt, reads.txt, patches.txt, lists.txt, creates.txt
--   BENCH_NONCE  differs per run, so every PATCH really changes the todo
--   BENCH_CAP    most requests a thread sends in a write workload (bounds the rows written)
local M = {}

local data = os.getenv("BENCH_DATA")
M.nonce = os.getenv("BENCH_NONCE") or "0"
M.cap = tonumber(os.getenv("BENCH_CAP") or "1000000")

function M.lines(name)
  local out = {}
  for line in io.lines(data .. "/" .. name) do
    local fields = {}
    for field in line:gmatch("%S+") do fields[#fields + 1] = field end
    out[#out + 1] = fields
  end
  return out
end

function M.auth(tokens, user)
  return "Bearer " .. tokens[tonumber(user) + 1][1]
end

-- setup() runs in the main state once per thread: number them, keep them for done().
local threads = {}
local count = 0

function M.setup(thread)
  thread:set("tid", count)
  count = count + 1
  threads[#threads + 1] = thread
end

-- Versions of the todos this thread patches: a disjoint round-robin share of patches.txt.
function M.patch_share(tid, nthreads)
  local mine, versions = {}, {}
  for i, f in ipairs(M.lines("patches.txt")) do
    if (i - 1) % nthreads == tid then
      mine[#mine + 1] = { user = f[1], id = f[2] }
      versions[f[2]] = tonumber(f[3])
    end
  end
  return mine, versions
end

-- The `"list_id":"..",` a create carries, or "" for one into the caller's Inbox ("-").
function M.into(list_id)
  if list_id == "-" then return "" end
  return '"list_id":"' .. list_id .. '",'
end

-- Reads a todo's id and version from a single-todo response body.
function M.track(versions, body)
  if body:sub(1, 7) ~= '{"id":"' and not body:match('^%s*{%s*"id"') then return end
  local id = body:match('"id"%s*:%s*"([%x%-]+)"')
  local version = body:match('"version"%s*:%s*(%d+)')
  if id and version and versions[id] then versions[id] = tonumber(version) end
end

function M.done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + (thread:get("bad") or 0) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f,"connect":%d,"read":%d,"write":%d,"status":%d,' ..
    '"timeout":%d,"non2xx":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status,
    e.timeout, bad))
end

return M
