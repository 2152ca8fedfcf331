#!/usr/bin/env bash
# Text search (`q`) latency of two yizhan builds over HTTP on the same data, in the same run: both servers hold
# the dataset and stay up; each query is sent REPS times to A, then to B, for ROUNDS rounds, one request at a
# time (curl), and it prints the median and max time of the 200 answers per build (and how many were not 200). Also the servers' RSS after the upload. By hand.
#
#   bench/q.sh OLD_BINARY NEW_BINARY stations.geojson
#   QS='zzzz 驿站 朝阳路' bench/q.sh …
#
# Knobs: QS (space-separated q values; default "zzzz 驿站 海淀 朝阳路"), ROUNDS (3), REPS (10),
# PATHS ("nearest list"), PORT_A (18191), PORT_B (18192).
set -euo pipefail

A_BIN=$1 B_BIN=$2 DATA=$3
QS="${QS:-zzzz 驿站 海淀 朝阳路}" ROUNDS="${ROUNDS:-3}" REPS="${REPS:-10}" PATHS="${PATHS:-nearest list}"
PORT_A="${PORT_A:-18191}" PORT_B="${PORT_B:-18192}"

RUN="$(mktemp -d /tmp/yizhan-q.XXXXXX)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$RUN"; }
trap cleanup EXIT

start() { # binary port dir
  local token=q-token
  mkdir -p "$3"
  YIZHAN_ADMIN_TOKEN=$token RUST_LOG=warn "$1" serve --addr "127.0.0.1:$2" --data-dir "$3" --max-upload-mb 4096 \
    >"$3.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 300); do curl -fsS -o /dev/null "http://127.0.0.1:$2/healthz" 2>/dev/null && break; sleep 0.1; done
  curl -fsS -o /dev/null -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: application/geo+json' \
    --data-binary "@$DATA" "http://127.0.0.1:$2/api/v1/stations"
  sleep 2
  echo "RSS $(basename "$3") $(awk '/VmRSS/ { printf "%.0f MiB", $2 / 1024 }' "/proc/${PIDS[-1]}/status")"
}
start "$A_BIN" "$PORT_A" "$RUN/a"
start "$B_BIN" "$PORT_B" "$RUN/b"

url() { # port path q
  local enc; enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$3")
  case $2 in
    nearest) echo "http://127.0.0.1:$1/api/v1/stations/nearest?lat=39.91&lon=116.40&k=10&q=$enc";;
    list) echo "http://127.0.0.1:$1/api/v1/stations?limit=50&q=$enc";;
  esac
}
times() { # url -> REPS lines of seconds
  for _ in $(seq "$REPS"); do curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' "$1"; done
}
for p in $PATHS; do
  for q in $QS; do
    : >"$RUN/a.t"; : >"$RUN/b.t"
    for _ in $(seq "$ROUNDS"); do
      times "$(url "$PORT_A" "$p" "$q")" >>"$RUN/a.t"
      times "$(url "$PORT_B" "$p" "$q")" >>"$RUN/b.t"
    done
    python3 - "$p" "$q" "$RUN/a.t" "$RUN/b.t" <<'PY'
import statistics, sys
p, q, a, b = sys.argv[1:]
def load(f):
    rows = [l.split() for l in open(f) if l.strip()]
    bad = sum(1 for r in rows if r[0] != "200")
    return [float(r[1]) * 1e3 for r in rows if r[0] == "200"] or [float("nan")], bad
(ta, ea), (tb, eb) = load(a), load(b)
print(f"{p:8} q={q:6}  A median {statistics.median(ta):8.2f} ms (max {max(ta):8.2f})   "
      f"B median {statistics.median(tb):8.2f} ms (max {max(tb):8.2f})" + (f"   non-200: A {ea}, B {eb}" if ea or eb else ""))
PY
  done
done
