#!/usr/bin/env bash
# Resident memory of `yizhan serve` holding N stations: after a PUT of the whole file, and after a restart from
# the data dir. Run by hand (not in CI); no root needed. See docs/BENCHMARKS.md, "Memory at 1M".
#
#   bench/rss.sh                    # 1,000,000 stations
#   N=200000 bench/rss.sh
#
# Knobs (environment): N (1000000), SEED (1), PORT (18090), SETTLE (10 s after the PUT / the restart before the
# "settled" reading), YIZHAN (target/release/yizhan; built with `cargo build --release` if missing),
# DATA (generated file; default target/rss/nationwide-N.geojson, made by scripts/gen_nationwide.py once).
# The server and its data dir live in a fresh temp dir, removed on exit (also on Ctrl-C or error).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
N="${N:-1000000}"
SEED="${SEED:-1}"
PORT="${PORT:-18090}"
SETTLE="${SETTLE:-10}"
YIZHAN="${YIZHAN:-$TARGET/release/yizhan}"
DATA="${DATA:-$TARGET/rss/nationwide-$N.geojson}"

log() { printf '[rss %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

RUN="$(mktemp -d)"
PID=""
stop() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  PID=""
}
trap 'stop; rm -rf "$RUN"' EXIT

[ -x "$YIZHAN" ] || (cd "$ROOT" && cargo build --release)
if [ ! -s "$DATA" ]; then
  mkdir -p "$(dirname "$DATA")"
  python3 "$ROOT/scripts/gen_nationwide.py" "$N" "$DATA.tmp" --seed "$SEED" && mv "$DATA.tmp" "$DATA"
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then die "port $PORT is in use (set PORT)"; fi

token="rss-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
start() {
  YIZHAN_ADMIN_TOKEN="$token" "$YIZHAN" serve --addr "127.0.0.1:$PORT" --data-dir "$RUN/data" \
    --max-upload-mb 4096 >>"$RUN/yizhan.log" 2>&1 &
  PID=$!
}
mb() { awk -v k="$1:" '$1 == k { printf "%d", $2 / 1024 }' "/proc/$PID/status"; }
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }
stations() { curl -fsS "http://127.0.0.1:$PORT/healthz" 2>/dev/null | grep -o '"stations":[0-9]*' | cut -d: -f2 || true; }
wait_serving() { # expected station count ("" = any)
  for _ in $(seq 6000); do
    local n
    n="$(stations)"
    if [ -n "$n" ] && { [ -z "$1" ] || [ "$n" = "$1" ]; }; then return 0; fi
    sleep 0.02
  done
  die "the server did not serve ${1:-anything} (see $RUN/yizhan.log)"
}

log "binary $YIZHAN, $N stations from $DATA ($(($(stat -L -c %s "$DATA") / 1048576)) MiB)"
start
wait_serving ""
log "started on the bundled sample: RSS $(mb VmRSS) MB"
t0=$(now)
status=$(curl -sS -o "$RUN/put.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/geo+json' --data-binary "@$DATA" "http://127.0.0.1:$PORT/api/v1/stations")
t1=$(now)
[ "$status" = 200 ] || { head -c 2000 "$RUN/put.json" >&2; die "PUT answered $status"; }
put_now=$(mb VmRSS)
sleep "$SETTLE"
put_settled=$(mb VmRSS)
put_peak=$(mb VmHWM)
stop

t2=$(now)
start
wait_serving "$N"
t3=$(now)
restart_now=$(mb VmRSS)
sleep "$SETTLE"
restart_settled=$(mb VmRSS)
restart_peak=$(mb VmHWM)
stop

printf '%-34s %10s\n' "stations" "$N"
printf '%-34s %10s s\n' "PUT (client wall time)" "$(secs "$t0" "$t1")"
printf '%-34s %10s MiB\n' "RSS right after the PUT" "$put_now"
printf '%-34s %10s MiB\n' "RSS ${SETTLE} s after the PUT" "$put_settled"
printf '%-34s %10s MiB\n' "peak RSS (VmHWM) with the PUT" "$put_peak"
printf '%-34s %10s s\n' "restart until serving N" "$(secs "$t2" "$t3")"
printf '%-34s %10s MiB\n' "RSS right after the restart" "$restart_now"
printf '%-34s %10s MiB\n' "RSS ${SETTLE} s after the restart" "$restart_settled"
printf '%-34s %10s MiB\n' "peak RSS (VmHWM) of the restart" "$restart_peak"
