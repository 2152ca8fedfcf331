#!/usr/bin/env bash
# Interleaved A/B of two yizhan builds over HTTP on the same data: for noisy (shared) machines, where two
# separate runs minutes apart cannot be compared. Both servers hold the same dataset and stay up; wrk hits
# A, then B, then A … for ROUNDS rounds of DURATION seconds per query, and it prints each round and the median
# ratio B/A. Run by hand; needs wrk (see bench/compare.sh) and a GeoJSON file.
#
#   bench/ab.sh OLD_BINARY NEW_BINARY stations.geojson        # e.g. target/compare/data/nationwide-200000-s1.geojson
#
# Knobs: ROUNDS (5), DURATION (5 s), CONNS (32), THREADS (2), POINTS (a lon lat file; default: the points
# bench/compare.sh caches), QUERIES ("healthz nearest"), PORT_A (18181), PORT_B (18182).
# PIN=1 measures the server's own capacity: both servers on CPU 0 with one HTTP thread, wrk (one thread) on CPU 1,
# so the client's cost of reading larger responses does not come out of the server's CPU time.
# TOGETHER=1 (with PIN=1) runs A and B at the same time, each under its own wrk, both servers sharing CPU 0:
# the scheduler gives each half of it, so the ratio of their throughputs is the inverse ratio of their CPU
# cost per request, and a noisy neighbour slows both alike instead of whichever round it lands in.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
A_BIN=$1 B_BIN=$2 DATA=$3
ROUNDS="${ROUNDS:-5}" DURATION="${DURATION:-5}" CONNS="${CONNS:-32}" THREADS="${THREADS:-2}"
POINTS="${POINTS:-${CARGO_TARGET_DIR:-$ROOT/target}/compare/data/points-10000-s4242.txt}"
QUERIES="${QUERIES:-healthz nearest}"
PORT_A="${PORT_A:-18181}" PORT_B="${PORT_B:-18182}"
SERVER_PREFIX="" SERVER_ARGS="" CLIENT_PREFIX=""
if [ -n "${PIN:-}" ]; then
  SERVER_PREFIX="taskset -c 0" SERVER_ARGS="--http-threads 1" CLIENT_PREFIX="taskset -c 1" THREADS=1
fi
mkdir -p "$(dirname "$POINTS")"
[ -f "$POINTS" ] || python3 "$ROOT/bench/prep.py" points 10000 "$POINTS" --seed 4242

RUN="$(mktemp -d /tmp/yizhan-ab.XXXXXX)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$RUN"; }
trap cleanup EXIT

start() { # binary port dir
  local token=ab-token
  mkdir -p "$3"
  YIZHAN_ADMIN_TOKEN=$token RUST_LOG=warn $SERVER_PREFIX "$1" serve $SERVER_ARGS --addr "127.0.0.1:$2" --data-dir "$3" --max-upload-mb 4096 \
    >"$3.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 300); do curl -fsS -o /dev/null "http://127.0.0.1:$2/healthz" 2>/dev/null && break; sleep 0.1; done
  curl -fsS -o /dev/null -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: application/geo+json' \
    --data-binary "@$DATA" "http://127.0.0.1:$2/api/v1/stations"
}
start "$A_BIN" "$PORT_A" "$RUN/a"
start "$B_BIN" "$PORT_B" "$RUN/b"

one() { # port query -> "req/s p50 p99"
  local args=(healthz)
  [ "$2" = nearest ] && args=(nearest "$POINTS")
  [ "$2" = rare ] && args=(nearest "$POINTS" "&amenities=discount_meal")
  $CLIENT_PREFIX wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$ROOT/bench/nearest.lua" \
    "http://127.0.0.1:$1" -- "${args[@]}" | awk '/^RESULT/ { print $2, $3, $4 }'
}

for q in $QUERIES; do
  one "$PORT_A" "$q" >/dev/null
  one "$PORT_B" "$q" >/dev/null # warm-up
  : >"$RUN/$q.tsv"
  for r in $(seq "$ROUNDS"); do
    if [ -n "${TOGETHER:-}" ]; then
      # Which one starts first alternates, so neither gets the head start every round.
      if [ $((r % 2)) = 1 ]; then
        one "$PORT_A" "$q" >"$RUN/a.out" &
        first=$!
        one "$PORT_B" "$q" >"$RUN/b.out"
      else
        one "$PORT_B" "$q" >"$RUN/b.out" &
        first=$!
        one "$PORT_A" "$q" >"$RUN/a.out"
      fi
      wait "$first"
      read -r ra pa qa <"$RUN/a.out"
      read -r rb pb qb <"$RUN/b.out"
    else
      read -r ra pa qa < <(one "$PORT_A" "$q")
      read -r rb pb qb < <(one "$PORT_B" "$q")
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$q" "$ra" "$pa" "$qa" "$rb" "$pb" "$qb" | tee -a "$RUN/$q.tsv" >&2
  done
  python3 - "$RUN/$q.tsv" <<'EOF'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]) if l.strip()]
ra = [float(r[1]) for r in rows]; rb = [float(r[4]) for r in rows]
ratio = statistics.median(b / a for a, b in zip(ra, rb))
print(f"{rows[0][0]}: A {statistics.median(ra):,.0f} req/s (p99 {statistics.median(float(r[3]) for r in rows):.2f} ms), "
      f"B {statistics.median(rb):,.0f} req/s (p99 {statistics.median(float(r[6]) for r in rows):.2f} ms), "
      f"median B/A {ratio:.2f}")
EOF
done
