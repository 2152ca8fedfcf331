#!/usr/bin/env bash
# Instructions and simulated cache misses per nearest-10 request over HTTP, for builds compared on one dataset:
# deterministic where wrk rounds on a shared VM swing ±10 %. Each binary loads the data (outside valgrind), then
# serves it under callgrind with cache simulation and one HTTP thread; collection is switched on only for N
# keep-alive requests after a warm-up, so start-up and loading are not counted. Run by hand; needs valgrind.
#
#   bench/cachesim.sh stations.geojson points.txt BIN [BIN…]       # N (1000) requests, WARM (200), QUERY (&k=10)
#
# Prints per binary: instructions, D1 read misses, LL read misses (the ones that go to memory) per request, and
# the body size. Same points, same order for every binary. KEEP=DIR keeps each dump for callgrind_annotate.
set -euo pipefail
DATA=$1 POINTS=$2; shift 2
N="${N:-1000}" WARM="${WARM:-200}" QUERY="${QUERY:-&k=10}" PORT="${PORT:-18191}"
RUN="$(mktemp -d /tmp/yizhan-cachesim.XXXXXX)"
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$RUN"' EXIT

drive() { # port n skip -> body bytes of the last answer
  python3 - "$1" "$2" "$3" "$POINTS" "$QUERY" <<'PY'
import http.client, sys
port, n, skip, points, query = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
pts = [l.split() for l in open(points) if l.strip()]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
size = 0
for i in range(n):
    lon, lat = pts[(skip + i) % len(pts)][:2]
    c.request("GET", f"/api/v1/stations/nearest?lat={lat}&lon={lon}{query}")
    r = c.getresponse(); body = r.read(); size = len(body)
    assert r.status == 200, r.status
print(size)
PY
}

for bin in "$@"; do
  dir="$RUN/$(basename "$bin")-$RANDOM"
  YIZHAN_ADMIN_TOKEN=t RUST_LOG=warn "$bin" serve --addr "127.0.0.1:$PORT" --data-dir "$dir" --max-upload-mb 4096 >"$dir.log" 2>&1 &
  pid=$!
  for _ in $(seq 300); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break; sleep 0.1; done
  curl -fsS -o /dev/null -X PUT -H "Authorization: Bearer t" -H 'Content-Type: application/geo+json' \
    --data-binary "@$DATA" "http://127.0.0.1:$PORT/api/v1/stations"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  out="$dir.cg"
  YIZHAN_ADMIN_TOKEN=t RUST_LOG=warn valgrind --tool=callgrind --cache-sim=yes --instr-atstart=no \
    --callgrind-out-file="$out" "$bin" serve --http-threads 1 --addr "127.0.0.1:$PORT" --data-dir "$dir" \
    >"$dir.vg.log" 2>&1 &
  pid=$!
  for _ in $(seq 3000); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break; sleep 0.2; done
  drive "$PORT" "$WARM" 5000 >/dev/null
  callgrind_control -i on "$pid" >/dev/null
  bytes=$(drive "$PORT" "$N" 0)
  callgrind_control -d "$pid" >/dev/null
  kill "$pid"; wait "$pid" 2>/dev/null || true
  [ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$out".* "$KEEP/$(basename "$bin")-$(basename "$(dirname "$bin")").cg"
  python3 - "$out" "$N" "$bin" "$bytes" <<'PY'
import glob, sys
out, n, name, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
tot = None; ev = None
for f in glob.glob(out + ".*"):  # the dump taken right after the N requests
    for line in open(f, errors="replace"):
        if line.startswith("events:"): ev = line.split()[1:]
        if line.startswith("summary:") or line.startswith("totals:"):
            v = [int(x) for x in line.split()[1:]]
            tot = v if tot is None else [a + b for a, b in zip(tot, v)]
            break
d = dict(zip(ev, tot))
print(f"{name}: Ir {d['Ir']/n:,.0f}  D1mr {d['D1mr']/n:,.0f}  D1mw {d['D1mw']/n:,.0f}  LLdr {d['DLmr']/n:,.0f}  "
      f"LLdw {d['DLmw']/n:,.0f}  LLi {d['ILmr']/n:,.0f}  I1mr {d['I1mr']/n:,.0f}  body {size} B")
PY
done
