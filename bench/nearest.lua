-- wrk script for bench/compare.sh: cycles through a file of seeded query points.
--
--   wrk -t2 -c32 -d20s -s bench/nearest.lua http://127.0.0.1:PORT -- nearest POINTS.txt [EXTRA_QUERY]
--   wrk -t2 -c32 -d20s -s bench/nearest.lua http://127.0.0.1:PORT -- healthz
--
-- Every thread starts at its own offset in the points file, and every request of that thread takes the next
-- point. At the end it prints one line: RESULT <req/s> <p50 ms> <p99 ms> <errors (incl. non-2xx/3xx)>.

local nthreads = 0

function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
end

function init(args)
  local mode = args[1] or "healthz"
  reqs = {}
  if mode == "healthz" then
    reqs[1] = wrk.format("GET", "/healthz")
  else
    local extra = args[3] or ""
    for line in io.lines(args[2]) do
      local lon, lat = line:match("^(%S+)%s+(%S+)")
      if lon then
        reqs[#reqs + 1] = wrk.format("GET",
          "/api/v1/stations/nearest?lat=" .. lat .. "&lon=" .. lon .. "&k=10" .. extra)
      end
    end
  end
  i = (tid * 4999) % #reqs
end

function request()
  i = i + 1
  if i > #reqs then i = 1 end
  return reqs[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.1f %.3f %.3f %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout))
end
