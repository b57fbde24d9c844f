-- wrk script for the hdrl load run: a fixed number of requests instead of a duration.
--   wrk -t1 -c16 -d60s -s load.lua URL -- <requests-per-thread> <fn1> <provider1> [<fn2> <provider2> ...]
-- Requests rotate over the given function ids. Each request also carries the provider the
-- filter is expected to pick, so the no-filter baseline config routes the same way (with the
-- filter, the filter overwrites x-hdrl-provider with its own decision).
-- done() prints one machine-readable line: HDRL_LOAD key=value ...

local limit = 0
local count = 0
local ids = {}
local i = 0

function init(args)
  limit = tonumber(args[1])
  for k = 2, #args, 2 do
    ids[#ids + 1] = { fn = args[k], provider = args[k + 1] }
  end
end

function request()
  i = i % #ids + 1
  local id = ids[i]
  return wrk.format("GET", "/load", {
    ["x-hdrl-function"] = id.fn,
    ["x-hdrl-provider"] = id.provider,
    ["x-hdrl-rps"] = "250.5",
    ["x-hdrl-mem-mb"] = "512",
  })
end

function response(status, headers, body)
  count = count + 1
  if count >= limit then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "HDRL_LOAD requests=%d duration_s=%.3f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_timeout=%d non2xx=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout, e.status))
end
