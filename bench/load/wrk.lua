-- Generic wrk script of `make bench`: each wrk thread has exactly one connection (run wrk
-- with -t N -c N), so its requests go out strictly one after the other and every response
-- belongs to the request sent just before it. Thread i reads its requests from
-- "$BENCH_REQS.<i>" (one per line: METHOD TAB PATH TAB headers separated by \31 TAB body)
-- and cycles through them; done() writes counts and latency percentiles as JSON to
-- $BENCH_OUT, with what each thread sent and which of its requests failed, so that the
-- integrity checks can tell exactly which writes were acknowledged.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function split(s, sep)
  local out = {}
  local start = 1
  while true do
    local i = string.find(s, sep, start, true)
    if not i then
      table.insert(out, string.sub(s, start))
      return out
    end
    table.insert(out, string.sub(s, start, i - 1))
    start = i + #sep
  end
end

function init(args)
  reqs = {}
  local f = assert(io.open(os.getenv("BENCH_REQS") .. "." .. tid, "r"))
  for line in f:lines() do
    local parts = split(line, "\t")
    local headers = {}
    if parts[3] and parts[3] ~= "" then
      for _, h in ipairs(split(parts[3], "\31")) do
        local k, v = string.match(h, "^([^:]+):%s*(.*)$")
        headers[k] = v
      end
    end
    local body = parts[4]
    if body == "" then body = nil end
    table.insert(reqs, wrk.format(parts[1], parts[2], headers, body))
  end
  f:close()
  nreqs = #reqs
  sent = 0
  -- wrk calls request() once on thread 0 before it starts, only to check the request
  -- (script_verify_request): that call sends nothing and must not be counted.
  verifying = (tid == 0)
  ok = 0
  bad = 0
  badlist = ""
end

function request()
  if verifying then
    verifying = false
    return reqs[1]
  end
  sent = sent + 1
  return reqs[(sent - 1) % nreqs + 1]
end

function response(status, headers, body)
  if status >= 200 and status < 400 then
    ok = ok + 1
  else
    bad = bad + 1
    if bad <= 200 then badlist = badlist .. (ok + bad) .. ":" .. status .. "," end
  end
end

function done(summary, latency, requests)
  local parts = {}
  for i, t in ipairs(threads) do
    table.insert(parts, string.format('{"tid":%d,"sent":%d,"ok":%d,"bad":%d,"badlist":"%s"}',
      t:get("tid"), t:get("sent"), t:get("ok"), t:get("bad"), t:get("badlist")))
  end
  local e = summary.errors
  local out = string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p95":%d,"p99":%d,"p999":%d,"max":%d},' ..
    '"threads":[%s]}',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency:percentile(99.9), latency.max,
    table.concat(parts, ","))
  local f = assert(io.open(os.getenv("BENCH_OUT"), "w"))
  f:write(out)
  f:close()
end
