-- wrk script: plain GETs (headers such as a session cookie come from wrk's
-- --header options); prints the same BENCH_RESULT line as post_json.lua.
-- Non-2xx answers count as status errors in wrk's summary, so a signed-out
-- or forbidden page never passes for a fast one.
-- Usage: wrk -t1 -c2 -d10s -s bench/wrk/get.lua -H "Cookie: sessionid=..." URL

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"mean": %.1f, "p50": %.0f, "p90": %.0f, "p95": %.0f, "p99": %.0f, "max": %.0f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max
  ))
end
