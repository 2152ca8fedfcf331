#!/usr/bin/env bash
# What a read filter costs over HTTP, measured in one run on one server: wrk alternates plain nearest-10 with
# nearest-10 plus each filter, for ROUNDS rounds of DURATION seconds, and prints the median ratio filtered/plain
# (so machine noise hits both sides alike). Run by hand; needs wrk and a GeoJSON file.
#
#   bench/filters.sh BINARY stations.geojson        # e.g. /tmp/n200k.geojson from scripts/gen_nationwide.py
#
# Knobs: ROUNDS (5), DURATION (5 s), CONNS (32), THREADS (2), POINTS (as in bench/ab.sh), PORT (18183),
# FILTERS (default: "open_for=30 open_now=true amenities=discount_meal").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN=$1 DATA=$2
ROUNDS="${ROUNDS:-5}" DURATION="${DURATION:-5}" CONNS="${CONNS:-32}" THREADS="${THREADS:-2}" PORT="${PORT:-18183}"
POINTS="${POINTS:-${CARGO_TARGET_DIR:-$ROOT/target}/compare/data/points-10000-s4242.txt}"
FILTERS="${FILTERS:-open_for=30 open_now=true amenities=discount_meal}"
if [ ! -f "$POINTS" ]; then
  mkdir -p "$(dirname "$POINTS")"
  python3 "$ROOT/bench/prep.py" points 10000 "$POINTS" --seed 4242
fi

RUN="$(mktemp -d /tmp/yizhan-filters.XXXXXX)"
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$RUN"; }
trap cleanup EXIT
YIZHAN_ADMIN_TOKEN=f-token RUST_LOG=warn "$BIN" serve --addr "127.0.0.1:$PORT" --data-dir "$RUN/data" \
  --max-upload-mb 4096 >"$RUN/log" 2>&1 &
PID=$!
for _ in $(seq 300); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break; sleep 0.1; done
curl -fsS -o /dev/null -X PUT -H "Authorization: Bearer f-token" -H 'Content-Type: application/geo+json' \
  --data-binary "@$DATA" "http://127.0.0.1:$PORT/api/v1/stations"

one() { # extra-query -> "req/s p50 p99"
  wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$ROOT/bench/nearest.lua" \
    "http://127.0.0.1:$PORT" -- nearest "$POINTS" "$1" | awk '/^RESULT/ { print $2, $3, $4 }'
}

one "" >/dev/null # warm-up
for f in $FILTERS; do
  : >"$RUN/rows.tsv"
  for r in $(seq "$ROUNDS"); do
    read -r ra pa qa < <(one "")
    read -r rb pb qb < <(one "&$f")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$f" "$ra" "$pa" "$qa" "$rb" "$pb" "$qb" | tee -a "$RUN/rows.tsv" >&2
  done
  python3 - "$RUN/rows.tsv" <<'PY'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]) if l.strip()]
ra = [float(r[1]) for r in rows]; rb = [float(r[4]) for r in rows]
print(f"{rows[0][0]}: plain {statistics.median(ra):,.0f} req/s (p99 {statistics.median(float(r[3]) for r in rows):.2f} ms), "
      f"filtered {statistics.median(rb):,.0f} req/s (p99 {statistics.median(float(r[6]) for r in rows):.2f} ms), "
      f"median filtered/plain {statistics.median(b / a for a, b in zip(ra, rb)):.2f}")
PY
done
