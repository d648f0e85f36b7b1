-- wrk script: POST the JSON file named after "--" on every request, then
-- print one line the bench driver (bench/harness.py) parses:
--   BENCH_RESULT {"requests": ..., "latency_us": {"p95": ...}, ...}
-- Usage: wrk -t1 -c8 -d10s -s bench/wrk/post_json.lua URL -- body.json

function init(args)
  local path = args[1]
  if path == nil then
    error("post_json.lua needs the JSON body's file after --")
  end
  local file = assert(io.open(path, "rb"))
  wrk.body = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
end

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
