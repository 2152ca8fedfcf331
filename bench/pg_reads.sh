#!/usr/bin/env bash
# Reads per second of nearest queries on a replica backed by PostgreSQL vs one on its data directory (issue 16, must
# show: no difference beyond noise), same binary, same run, alternating rounds. Run by hand; needs wrk.
#
#   bench/pg_reads.sh target/release/yizhan [stations.geojson]
#
# A throwaway cluster (scripts/pg-cluster.sh), then bench/ab.sh with A = the binary on its data directory and
# B = the same binary with --database-url (a wrapper script), both loaded with the same dataset (default: 200,000
# stations from scripts/gen_nationwide.py --seed 1). Prints ab.sh's rounds and the median ratio B/A with the range of
# the rounds' ratios; exits 1 if B (PostgreSQL) is slower than A by more than TOLERANCE (0.10: rounds on this shared
# machine swing by more than 10 %, see docs/BENCHMARKS.md).
#
# Knobs: ROUNDS (9), DURATION (5 s), QUERIES (nearest), TOLERANCE (0.10), STATIONS (200000), and ab.sh's own
# (CONNS, THREADS, POINTS, PIN=1 to pin the servers to CPU 0 and wrk to CPU 1, PORT_A, PORT_B).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$(realpath "${1:?usage: bench/pg_reads.sh BINARY [stations.geojson]}")"
DATA="${2:-}"
export ROUNDS="${ROUNDS:-9}" QUERIES="${QUERIES:-nearest}"
TOLERANCE="${TOLERANCE:-0.10}" STATIONS="${STATIONS:-200000}"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }

# Traversable by the cluster's owner (`postgres` when run as root); mktemp -d makes 0700.
WORK="$(mktemp -d /tmp/yizhan-pg-reads.XXXXXX)"
chmod 0755 "$WORK"
cleanup() { "$ROOT/scripts/pg-cluster.sh" destroy "$WORK/pg" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "$DATA" ]; then
  DATA="$WORK/stations.geojson"
  python3 "$ROOT/scripts/gen_nationwide.py" "$STATIONS" "$DATA" --seed 1 2>/dev/null
fi
URL="$("$ROOT/scripts/pg-cluster.sh" start "$WORK/pg")"

# B: the same binary, on PostgreSQL. exec, so that ab.sh's kill reaches the server itself.
cat >"$WORK/yizhan-pg" <<EOF
#!/bin/sh
exec "$BIN" "\$@" --database-url "$URL"
EOF
chmod +x "$WORK/yizhan-pg"

echo "A: $BIN on its data directory; B: the same on PostgreSQL ($URL); $ROUNDS rounds of ${DURATION:-5} s" >&2
"$ROOT/bench/ab.sh" "$BIN" "$WORK/yizhan-pg" "$DATA" 2> >(tee "$WORK/rounds.tsv" >&2) | tee "$WORK/summary.txt"
wait # for tee

python3 - "$WORK/rounds.tsv" "$TOLERANCE" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.count("\t") == 6]
tol = float(sys.argv[2])
failed = False
for q in dict.fromkeys(r[0] for r in rows):
    ratios = [float(r[4]) / float(r[1]) for r in rows if r[0] == q]
    med = statistics.median(ratios)
    of_medians = (statistics.median(float(r[4]) for r in rows if r[0] == q)
                  / statistics.median(float(r[1]) for r in rows if r[0] == q))
    ok = med >= 1 - tol
    failed |= not ok
    print(f"{'PASS' if ok else 'FAIL'}  {q}: PostgreSQL / data directory = {med:.2f} (median of {len(ratios)} rounds' "
          f"ratios, {min(ratios):.2f}..{max(ratios):.2f}; ratio of the medians {of_medians:.2f}); "
          f"fails below {1 - tol:.2f}")
if not rows:
    print("FAIL  no rounds were measured")
    failed = True
sys.exit(1 if failed else 0)
PY
