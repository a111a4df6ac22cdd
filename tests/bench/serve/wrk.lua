-- wrk script for the serve benchmark: each request is the next line of a file, as a
-- JSON body (mode "json") or as header lines separated by tabs (mode "headers").
-- Prints one line at the end: rps p50_us p99_us p999_us errors.
local file, mode, path = os.getenv("BENCH_FILE"), os.getenv("BENCH_MODE"), os.getenv("BENCH_PATH")
local reqs = {}
local i = 0

function init(args)
  for line in io.lines(file) do
    if mode == "json" then
      reqs[#reqs + 1] = wrk.format("POST", path, {["Content-Type"] = "application/json"}, line)
    else
      local h = {}
      for pair in string.gmatch(line, "[^\t]+") do
        local k, v = string.match(pair, "^([^:]+): (.*)$")
        h[k] = v
      end
      reqs[#reqs + 1] = wrk.format("GET", path, h)
    end
  end
  i = math.random(#reqs)
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.0f %.0f %.0f %.0f %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), errors, summary.errors.status))
end
