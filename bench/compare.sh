#!/usr/bin/env bash
# yizhan vs Redis GEOSEARCH vs PostGIS KNN: nearest-10 throughput and latency on the same seeded stations, the
# same 10k seeded query points and the same concurrency. Run by hand (not in CI); needs root for apt-get and
# to run PostgreSQL as the `postgres` user. See docs/BENCHMARKS.md.
#
#   bench/compare.sh                          # 200k stations
#   SIZES="200000 1000000" bench/compare.sh   # also 1M
#
# Knobs (environment): SIZES, CONNS (32), THREADS (2), DURATION (20 s), WARMUP (3 s), SEED (1), POINTS_SEED (4242),
# NPOINTS (10000), ENGINES ("yizhan redis postgis"), YZ_PORT (18080), REDIS_PORT (16379), PG_PORT (15432),
# SKIP_INSTALL=1, SKIP_BUILD=1, WAIT_IDLE=<seconds> (wait for a quiet machine before each engine). Results: target/compare/results-<date>.tsv and a table on stdout.
#
# Every server it starts is stopped on exit (trap), also on Ctrl-C or error; data live in a fresh temp dir
# that is removed. Safe to re-run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$TARGET/compare"
SIZES="${SIZES:-200000}"
CONNS="${CONNS:-32}"
THREADS="${THREADS:-2}"
DURATION="${DURATION:-20}"
WARMUP="${WARMUP:-3}"
SEED="${SEED:-1}"
POINTS_SEED="${POINTS_SEED:-4242}"
NPOINTS="${NPOINTS:-10000}"
ENGINES="${ENGINES:-yizhan redis postgis}"
YZ_PORT="${YZ_PORT:-18080}"
REDIS_PORT="${REDIS_PORT:-16379}"
PG_PORT="${PG_PORT:-15432}"
DISCOUNT_MEAL_BIT=512

log() { printf '\033[1m[compare %s]\033[0m %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (apt-get, and PostgreSQL runs as the postgres user)"
mkdir -p "$OUT/data"

# ------------------------------------------------------------------------------------------------ install
install_packages() {
  local need=()
  command -v redis-server >/dev/null || need+=(redis-server)
  command -v redis-cli >/dev/null || need+=(redis-tools)
  command -v wrk >/dev/null || need+=(wrk)
  command -v curl >/dev/null || need+=(curl)
  command -v python3 >/dev/null || need+=(python3)
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql postgresql-contrib)
  if [ ${#need[@]} -gt 0 ]; then
    log "apt-get install ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  PG_MAJOR="$(ls /usr/lib/postgresql | sort -V | tail -1)"
  if [ ! -f "/usr/share/postgresql/$PG_MAJOR/extension/postgis.control" ]; then
    local pkg="postgresql-$PG_MAJOR-postgis-3"
    apt-cache show "$pkg" >/dev/null 2>&1 || { apt-get update -qq; apt-cache show "$pkg" >/dev/null 2>&1; } \
      || die "no Debian package $pkg for PostgreSQL $PG_MAJOR (apt-cache search postgis)"
    log "apt-get install $pkg"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
  fi
  # The Debian packages may have started their own services (on systemd machines); we never use those.
  command -v rustc >/dev/null || die "rustc not found (needed for bench/redis_geo.rs)"
}
if [ "${SKIP_INSTALL:-0}" != 1 ]; then install_packages; fi
PG_MAJOR="${PG_MAJOR:-$(ls /usr/lib/postgresql | sort -V | tail -1)}"
PGBIN="/usr/lib/postgresql/$PG_MAJOR/bin"

# ------------------------------------------------------------------------------------------------ cleanup
RUN="$(mktemp -d /tmp/yizhan-compare.XXXXXX)"
chmod 755 "$RUN"
YZ_PID="" REDIS_PID="" PG_STARTED=0
stop_yizhan() {
  if [ -n "$YZ_PID" ] && kill -0 "$YZ_PID" 2>/dev/null; then
    kill -TERM "$YZ_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$YZ_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$YZ_PID" 2>/dev/null || true
    wait "$YZ_PID" 2>/dev/null || true
  fi
  YZ_PID=""
}
stop_redis() {
  if [ -n "$REDIS_PID" ] && kill -0 "$REDIS_PID" 2>/dev/null; then
    kill -TERM "$REDIS_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$REDIS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
  fi
  REDIS_PID=""
}
stop_pg() {
  if [ "$PG_STARTED" = 1 ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$RUN/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  PG_STARTED=0
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_yizhan; stop_redis; stop_pg
  rm -rf "$RUN"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$YZ_PORT" "$REDIS_PORT"; do port_free "$p" || die "port $p is in use (a leftover server? set YZ_PORT/REDIS_PORT)"; done

# ------------------------------------------------------------------------------------------------ build
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "cargo build --release"
  (cd "$ROOT" && cargo build --release --quiet --bin yizhan --example inproc)
fi
YIZHAN="$TARGET/release/yizhan"
INPROC="$TARGET/release/examples/inproc"
[ -x "$YIZHAN" ] || die "$YIZHAN not found"
rustc --edition 2021 -O "$ROOT/bench/redis_geo.rs" -o "$OUT/redis_geo"
REDIS_GEO="$OUT/redis_geo"

# ------------------------------------------------------------------------------------------------ data
GEN="$ROOT/scripts/gen_nationwide.py"
fresh() { [ -s "$1" ] && [ "$1" -nt "$GEN" ] && [ "$1" -nt "$ROOT/bench/prep.py" ]; }
POINTS="$OUT/data/points-$NPOINTS-s$POINTS_SEED.txt"
fresh "$POINTS" || python3 "$ROOT/bench/prep.py" points "$NPOINTS" "$POINTS" --seed "$POINTS_SEED"
cp "$POINTS" "$RUN/points.txt"; chmod 644 "$RUN/points.txt"

DATE="$(date -u +%Y-%m-%dT%H:%MZ)"
RESULTS="$OUT/results-$(date -u +%Y%m%d-%H%M%S).tsv"
printf 'size\tengine\tquery\treq_s\tp50_ms\tp99_ms\terrors\tnote\n' >"$RESULTS"
EXTRA="$OUT/extra-$(date -u +%Y%m%d-%H%M%S).txt"
: >"$EXTRA"
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }
# WAIT_IDLE=N: before each engine, wait up to N seconds for the 1-minute load average to drop below 1.
wait_idle() {
  local limit=${WAIT_IDLE:-0} waited=0
  while [ "$waited" -lt "$limit" ] && awk '{ exit !($1 >= 1.0) }' /proc/loadavg; do sleep 5; waited=$((waited + 5)); done
  note "load average before $1 $2: $(cut -d' ' -f1-3 /proc/loadavg) (waited ${waited} s for < 1.0; the machine is shared)"
}
note() { log "$*"; echo "$*" >>"$EXTRA"; }

rss_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

wait_http() { # url timeout_s
  for _ in $(seq $(($2 * 10))); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

run_wrk() { # size label args...
  local size=$1 label=$2; shift 2
  wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" -s "$ROOT/bench/nearest.lua" "http://127.0.0.1:$YZ_PORT" -- "$@" >/dev/null
  local line
  line="$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$ROOT/bench/nearest.lua" \
    "http://127.0.0.1:$YZ_PORT" -- "$@" | tee "$RUN/wrk.out" | awk '/^RESULT/ { print $2, $3, $4, $5 }')"
  [ -n "$line" ] || { cat "$RUN/wrk.out" >&2; die "wrk gave no result"; }
  set -- $line
  record "$size" yizhan "$label" "$1" "$2" "$3" "$4" "wrk -t$THREADS -c$CONNS -d${DURATION}s"
  log "yizhan $label: $1 req/s, p50 $2 ms, p99 $3 ms, errors $4"
}

# ------------------------------------------------------------------------------------------------ engines
bench_yizhan() { # size geojson
  local size=$1 geojson=$2 token
  token="bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
  # In process, on the same file and points: bulk load, RSS, single-query latency (bench/inproc.rs).
  local inproc
  inproc="$("$INPROC" "$geojson" "$RUN/points.txt")" || die "bench/inproc failed"
  note "size=$size yizhan in-process: $(echo "$inproc" | awk '/_s /{printf "%s %s s, ", $1, $2} /^rss_mb/{printf "RSS %s MiB, ", $2}')$(echo "$inproc" | awk '/_us /{printf "%s p50 %s µs p99 %s µs mean %s µs; ", substr($1, 1, length($1) - 3), $3, $5, $7}')"
  mkdir -p "$RUN/yz"
  yz_start() {
    YIZHAN_ADMIN_TOKEN="$token" "$YIZHAN" serve --addr "127.0.0.1:$YZ_PORT" \
      --data-dir "$RUN/yz" --max-upload-mb 4096 >>"$RUN/yizhan.log" 2>&1 &
    YZ_PID=$!
  }
  yz_start
  wait_http "http://127.0.0.1:$YZ_PORT/healthz" 60 || die "yizhan did not start (see $RUN/yizhan.log)"
  local bytes status t
  bytes=$(stat -c %s "$geojson")
  read -r status t < <(curl -sS -o "$RUN/put.json" -w '%{http_code} %{time_total}\n' -X PUT \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/geo+json' \
    --data-binary "@$geojson" "http://127.0.0.1:$YZ_PORT/api/v1/stations")
  [ "$status" = 200 ] || { head -c 2000 "$RUN/put.json" >&2; die "PUT answered $status"; }
  sleep 1
  note "size=$size yizhan PUT of $((bytes / 1048576)) MiB GeoJSON: ${t} s (HTTP $status; parse+validate+index+encode+fsync), RSS after load $(($(rss_kb "$YZ_PID" VmRSS) / 1024)) MiB, peak (VmHWM) $(($(rss_kb "$YZ_PID" VmHWM) / 1024)) MiB"
  # A restart loads the stored dataset from disk: the steady-state RSS, without the upload's transient buffers.
  stop_yizhan
  local t0 t1 n=0
  t0=$(date +%s.%N)
  yz_start
  for _ in $(seq 2400); do
    n=$(curl -fsS "http://127.0.0.1:$YZ_PORT/healthz" 2>/dev/null | grep -o '"stations":[0-9]*' | cut -d: -f2 || true)
    [ "$n" = "$size" ] && break
    sleep 0.025
  done
  [ "$n" = "$size" ] || die "yizhan restart did not serve $size stations"
  t1=$(date +%s.%N)
  note "size=$size yizhan restart (load from data dir) to serving: $(python3 -c "print(f'{$t1-$t0:.2f}')") s, RSS $(($(rss_kb "$YZ_PID" VmRSS) / 1024)) MiB"
  run_wrk "$size" healthz healthz
  run_wrk "$size" nearest10 nearest "$RUN/points.txt"
  run_wrk "$size" "nearest10 discount_meal" nearest "$RUN/points.txt" "&amenities=discount_meal"
  note "size=$size yizhan RSS after the runs $(($(rss_kb "$YZ_PID" VmRSS) / 1024)) MiB"
  stop_yizhan
  rm -rf "$RUN/yz"
}

redis_run() { # size label key start_radius
  local line
  line="$("$REDIS_GEO" bench "127.0.0.1:$REDIS_PORT" "$3" "$RUN/points.txt" "$CONNS" "$DURATION" "$WARMUP" "$4" | awk '/^RESULT/ { print $2, $3, $4, $5, $6 }')"
  [ -n "$line" ] || die "redis_geo gave no result"
  local size=$1 label=$2 r=$4
  set -- $line
  record "$size" redis "$label" "$1" "$2" "$3" "$5" "redis_geo.rs, $CONNS conns, GEOSEARCH from r=${r} m x4: $4 calls/query"
  log "redis $label: $1 q/s, p50 $2 ms, p99 $3 ms, $4 GEOSEARCH/query, errors $5"
}

bench_redis() { # size tsv
  local size=$1 tsv=$2
  mkdir -p "$RUN/redis"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$RUN/redis" \
    --daemonize no --loglevel warning >"$RUN/redis.log" 2>&1 &
  REDIS_PID=$!
  for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  local out
  out="$("$REDIS_GEO" load "127.0.0.1:$REDIS_PORT" "$tsv")"
  note "size=$size redis GEOADD load: $out (LOADED all rare seconds), used_memory $(redis-cli -p "$REDIS_PORT" info memory | awk -F: '/^used_memory_human/ { print $2 }' | tr -d '\r'), RSS $(($(rss_kb "$REDIS_PID" VmRSS) / 1024)) MiB"
  # Start radii: about where 10 stations are found at this density (nearest ~ 1 km at 200k, scaled by
  # sqrt(density)); discount_meal is ~100x sparser, so 10x the radius. Growth x4 until 10 are found.
  local r0 r0_rare
  r0=$(python3 -c "print(round(1000 * (200000 / $size) ** 0.5))")
  r0_rare=$((r0 * 10))
  redis_run "$size" nearest10 stations "$r0"
  redis_run "$size" "nearest10 discount_meal" stations:discount_meal "$r0_rare"
  stop_redis
  rm -rf "$RUN/redis"
}

psql_pg() { runuser -u postgres -- psql -X -q -h "$RUN/pgsock" -p "$PG_PORT" -d postgres -v ON_ERROR_STOP=1 "$@"; }

bench_postgis() { # size tsv
  local size=$1 tsv=$2
  mkdir -p "$RUN/pg" "$RUN/pgsock" "$RUN/pglog"
  chown postgres: "$RUN/pg" "$RUN/pgsock" "$RUN/pglog"
  runuser -u postgres -- "$PGBIN/initdb" -D "$RUN/pg" -A trust -U postgres -E UTF8 >/dev/null
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$RUN/pg" -l "$RUN/pglog/server.log" -w -o \
    "-c listen_addresses='' -c unix_socket_directories=$RUN/pgsock -c port=$PG_PORT -c shared_buffers=512MB -c max_connections=100 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c jit=off -c maintenance_work_mem=512MB" \
    start >/dev/null
  PG_STARTED=1
  local t0 t1
  t0=$(date +%s.%N)
  psql_pg <<SQL
CREATE EXTENSION postgis;
CREATE TABLE raw (id text, lon float8, lat float8, amenities int);
\copy raw FROM '$tsv'
CREATE TABLE stations AS
  SELECT id, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography(Point, 4326) AS geog, amenities FROM raw;
DROP TABLE raw;
ALTER TABLE stations ADD PRIMARY KEY (id);
CREATE INDEX stations_geog ON stations USING gist (geog);
-- The per-amenity partial index is PostGIS's counterpart of yizhan's per-flag tree and Redis's per-amenity key.
CREATE INDEX stations_geog_discount_meal ON stations USING gist (geog) WHERE amenities & $DISCOUNT_MEAL_BIT <> 0;
CREATE TABLE qpoints (i int PRIMARY KEY, g geography(Point, 4326));
CREATE TEMP TABLE qraw (lon float8, lat float8);
\copy qraw FROM '$RUN/points.txt' WITH (FORMAT text, DELIMITER ' ')
INSERT INTO qpoints SELECT row_number() OVER (), ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography FROM qraw;
VACUUM ANALYZE;
SQL
  t1=$(date +%s.%N)
  local npts
  npts=$(psql_pg -tAc "SELECT count(*) FROM qpoints")
  note "size=$size postgis load (COPY + geography + GiST x2 + VACUUM ANALYZE): $(python3 -c "print(f'{$t1-$t0:.1f}')") s, table+indexes $(psql_pg -tAc "SELECT pg_size_pretty(pg_total_relation_size('stations'))")"
  cat >"$RUN/nearest.sql" <<SQL
\set i random(1, $npts)
SELECT id, ST_Distance(geog, (SELECT g FROM qpoints WHERE i = :i)) AS d FROM stations
 ORDER BY geog <-> (SELECT g FROM qpoints WHERE i = :i) LIMIT 10;
SQL
  cat >"$RUN/filtered.sql" <<SQL
\set i random(1, $npts)
SELECT id, ST_Distance(geog, (SELECT g FROM qpoints WHERE i = :i)) AS d FROM stations
 WHERE amenities & $DISCOUNT_MEAL_BIT <> 0
 ORDER BY geog <-> (SELECT g FROM qpoints WHERE i = :i) LIMIT 10;
SQL
  chmod 644 "$RUN"/*.sql
  # The plans must be KNN index scans (no sort of the whole table): show them once.
  psql_pg -c "EXPLAIN SELECT id FROM stations ORDER BY geog <-> (SELECT g FROM qpoints WHERE i = 1) LIMIT 10" | grep -E "Index Scan|Sort" | sed 's/^/  plan: /' >&2
  psql_pg -c "EXPLAIN SELECT id FROM stations WHERE amenities & $DISCOUNT_MEAL_BIT <> 0 ORDER BY geog <-> (SELECT g FROM qpoints WHERE i = 1) LIMIT 10" | grep -E "Index Scan|Sort" | sed 's/^/  plan: /' >&2
  local f label
  for f in nearest filtered; do
    label=nearest10; [ $f = filtered ] && label="nearest10 discount_meal"
    local pgb=(runuser -u postgres -- "$PGBIN/pgbench" -h "$RUN/pgsock" -p "$PG_PORT" -n -M prepared -c "$CONNS" -j "$THREADS" -f "$RUN/$f.sql")
    "${pgb[@]}" -T "$WARMUP" postgres >/dev/null 2>&1
    rm -f "$RUN/pglog/$f".*
    local out
    out="$("${pgb[@]}" -T "$DURATION" -l --log-prefix="$RUN/pglog/$f" postgres 2>&1)" || { echo "$out" >&2; die "pgbench failed"; }
    local tps failed p
    tps=$(echo "$out" | awk '/^tps = / { print $3; exit }')
    failed=$(echo "$out" | awk '/number of failed transactions/ { print $5; exit }')
    # Per-transaction log: column 3 is the latency in µs.
    p=$(cat "$RUN/pglog/$f".* | awk '{ print $3 }' | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f %.3f", a[int(NR * 0.5) + 1] / 1000, a[int(NR * 0.99) + 1] / 1000 }')
    set -- $p
    record "$size" postgis "$label" "$(printf '%.1f' "$tps")" "$1" "$2" "${failed:-0}" "pgbench -M prepared -c$CONNS -j$THREADS -T$DURATION, unix socket"
    log "postgis $label: $tps tps, p50 $1 ms, p99 $2 ms"
  done
  stop_pg
  rm -rf "$RUN/pg" "$RUN/pglog"
}

# ------------------------------------------------------------------------------------------------ main
log "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
for size in $SIZES; do
  geojson="$OUT/data/nationwide-$size-s$SEED.geojson"
  tsv="$OUT/data/nationwide-$size-s$SEED.tsv"
  fresh "$geojson" || { log "generating $size stations"; python3 "$GEN" "$size" "$geojson.part" --seed "$SEED" --format geojson && mv "$geojson.part" "$geojson"; }
  fresh "$tsv" || python3 "$ROOT/bench/prep.py" tsv "$size" "$tsv" --seed "$SEED"
  chmod 644 "$geojson" "$tsv"
  cp "$tsv" "$RUN/stations.tsv"; chmod 644 "$RUN/stations.tsv"
  for e in $ENGINES; do
    wait_idle "$size" "$e"
    log "== $size stations: $e"
    case $e in
      yizhan) bench_yizhan "$size" "$geojson" ;;
      redis) bench_redis "$size" "$RUN/stations.tsv" ;;
      postgis) bench_postgis "$size" "$RUN/stations.tsv" ;;
      *) die "unknown engine $e" ;;
    esac
  done
  rm -f "$RUN/stations.tsv"
done

# ------------------------------------------------------------------------------------------------ report
python3 - "$RESULTS" "$EXTRA" "$DATE" "$CONNS" "$THREADS" "$DURATION" <<'PY'
import csv, sys
path, extra, date, conns, threads, dur = sys.argv[1:]
rows = list(csv.DictReader(open(path), delimiter="\t"))
print(f"\n## compare.sh {date}: {conns} connections, {threads} threads, {dur} s per run\n")
print("| stations | engine | query | req/s | p50 ms | p99 ms | errors | how |")
print("|---:|---|---|---:|---:|---:|---:|---|")
for r in rows:
    print(f"| {int(r['size']):,} | {r['engine']} | {r['query']} | {float(r['req_s']):,.0f} | {r['p50_ms']} | {r['p99_ms']} | {r['errors']} | {r['note']} |")
print()
get = {(r["size"], r["engine"], r["query"]): float(r["req_s"]) for r in rows}
for size in dict.fromkeys(r["size"] for r in rows):
    for q in ("nearest10", "nearest10 discount_meal"):
        y = get.get((size, "yizhan", q))
        for other in ("redis", "postgis"):
            o = get.get((size, other, q))
            if y and o:
                print(f"- {int(size):,} {q}: yizhan/{other} = {y / o:.2f}x")
    y, h = get.get((size, "yizhan", "nearest10")), get.get((size, "yizhan", "healthz"))
    if y and h:
        print(f"- {int(size):,} yizhan nearest10/healthz = {y / h:.2f} ({100 * y / h:.0f} %)")
print()
for line in open(extra):
    print("- " + line.strip())
PY
log "results: $RESULTS"
