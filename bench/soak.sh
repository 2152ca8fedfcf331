#!/usr/bin/env bash
# Soak test: the release binary under steady mixed load for DURATION seconds, watching for failed requests and
# memory growth. Run by hand (not in CI); see docs/RELIABILITY.md.
#
#   bench/soak.sh                    # 10 minutes
#   DURATION=60 bench/soak.sh        # a quick run
#
# Load (Python standard library client, keep-alive connections, 127.0.0.1 only):
#   READERS (16) threads of nearest (random Beijing points, k 1..20, sometimes an amenity filter) and bbox reads;
#   an upload every UPLOAD_EVERY (3) s alternating valid datasets (gzip'd GeoJSON: the bundled Beijing sample and
#   NATIONWIDE (3000) stations from scripts/gen_nationwide.py) with invalid ones of five kinds;
#   a problem report every REPORT_EVERY (1) s.
# Expected statuses: reads 200, valid uploads 200, invalid uploads their 4xx, reports 202 or 429 (or 404 when an
# upload replaced the dataset between picking the station and reporting it). Anything else
# (or a transport error) is a failure. RSS (VmRSS) is sampled every 5 s. Uploads swap whole datasets, so RSS
# saw-tooths; "start" is the peak over a window (10 % of DURATION, at least 30 s) beginning after WARMUP (default
# 10 % of DURATION, at least 20 s, and after the first valid upload), "end" the peak over the last window.
#
# Exit status: 0 when there were no failures and RSS grew by at most MAX_RSS_GROWTH_PCT (10) %, else 1.
# Everything it starts is stopped on exit (trap), also on Ctrl-C; its temp dir is removed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$ROOT/target/release/yizhan}"
DURATION="${DURATION:-600}"
READERS="${READERS:-16}"
UPLOAD_EVERY="${UPLOAD_EVERY:-3}"
REPORT_EVERY="${REPORT_EVERY:-1}"
NATIONWIDE="${NATIONWIDE:-3000}"
MAX_RSS_GROWTH_PCT="${MAX_RSS_GROWTH_PCT:-10}"
WARMUP="${WARMUP:-$(( DURATION / 10 > 20 ? DURATION / 10 : 20 ))}"

log() { printf '[soak %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [ ! -x "$BIN" ]; then
    log "building the release binary"
    (cd "$ROOT" && cargo build --release --bin yizhan)
fi

WORK="$(mktemp -d /tmp/yizhan-soak.XXXXXX)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
TOKEN="soak-$RANDOM-$RANDOM"

log "datasets in $WORK"
gzip -c "$ROOT/data/stations.geojson" > "$WORK/valid-a.geojson.gz"
python3 "$ROOT/scripts/gen_nationwide.py" "$NATIONWIDE" "$WORK/valid-b.geojson" --seed 7 >/dev/null
gzip -c "$WORK/valid-b.geojson" > "$WORK/valid-b.geojson.gz"

log "starting $BIN on 127.0.0.1:$PORT"
YIZHAN_ADMIN_TOKEN="$TOKEN" RUST_LOG="${RUST_LOG:-warn}" \
    "$BIN" serve --addr "127.0.0.1:$PORT" --data-dir "$WORK/data" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; log "server died"; exit 1; }
    sleep 0.1
done

set +e
timeout --signal=TERM --kill-after=10 "$(( DURATION + 60 ))" \
    python3 - "$PORT" "$TOKEN" "$SERVER_PID" "$WORK" "$DURATION" "$WARMUP" "$READERS" "$UPLOAD_EVERY" \
    "$REPORT_EVERY" "$MAX_RSS_GROWTH_PCT" <<'PY'
import gzip, http.client, json, random, sys, threading, time

port, token, pid, work = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
duration, warmup, readers = float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
upload_every, report_every, max_growth = float(sys.argv[8]), float(sys.argv[9]), float(sys.argv[10])

stop = threading.Event()
lock = threading.Lock()
counts = {}          # kind -> [requests, failures]
failures = []        # first few failure descriptions
latencies = []       # read latencies, seconds
rss = []             # (t, kB)
valid_uploads = [0]

def record(kind, ok, what=""):
    with lock:
        c = counts.setdefault(kind, [0, 0])
        c[0] += 1
        if not ok:
            c[1] += 1
            if len(failures) < 20:
                failures.append(f"{kind}: {what}")

def conn():
    return http.client.HTTPConnection("127.0.0.1", port, timeout=60)

def request(c, method, path, body=None, headers=None):
    """One request on a keep-alive connection; reconnects once if the server closed it."""
    for attempt in (0, 1):
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return c, r.status, data
        except (ConnectionError, http.client.RemoteDisconnected, http.client.CannotSendRequest,
                http.client.BadStatusLine) as e:
            c.close()
            c = conn()
            if attempt:
                raise
    raise AssertionError("unreachable")

def reader(seed):
    rng = random.Random(seed)
    c = conn()
    while not stop.is_set():
        if rng.random() < 0.7:
            lat, lon = rng.uniform(39.6, 40.2), rng.uniform(116.0, 116.8)
            path = f"/api/v1/stations/nearest?lat={lat:.5f}&lon={lon:.5f}&k={rng.randint(1, 20)}"
            if rng.random() < 0.3:
                path += "&amenities=" + rng.choice(["water", "charging", "24h", "water,rest"])
            if rng.random() < 0.1:
                path += "&open_now=true"
            kind = "read:nearest"
        else:
            lat, lon = rng.uniform(39.6, 40.2), rng.uniform(116.0, 116.8)
            d = rng.uniform(0.005, 0.05)
            path = f"/api/v1/stations?bbox={lon:.5f},{lat:.5f},{lon + d:.5f},{lat + d:.5f}&limit=200"
            kind = "read:bbox"
        t0 = time.perf_counter()
        try:
            c, status, data = request(c, "GET", path)
        except Exception as e:
            record(kind, False, f"{path}: {e!r}")
            c = conn()
            continue
        took = time.perf_counter() - t0
        with lock:
            latencies.append(took)
        record(kind, status == 200, f"{path}: {status} {data[:200]!r}")

def read(name):
    with open(f"{work}/{name}", "rb") as f:
        return f.read()

VALID = [read("valid-a.geojson.gz"), read("valid-b.geojson.gz")]
sample = json.loads(gzip.decompress(VALID[0]))
bad_coords = {"type": "FeatureCollection", "features": sample["features"][:50]}
bad_coords["features"][10] = dict(bad_coords["features"][10], geometry={"type": "Point", "coordinates": [500, 95]})
# (body, content-type, content-encoding, expected status)
INVALID = [
    ("truncated JSON", VALID[0][: len(VALID[0]) // 2], "application/geo+json", "gzip", 400),
    ("invalid coordinates", gzip.compress(json.dumps(bad_coords).encode()), "application/geo+json", "gzip", 422),
    ("empty collection", b'{"type":"FeatureCollection","features":[]}', "application/geo+json", None, 422),
    ("not gzip", b"this is not gzip", "application/geo+json", "gzip", 400),
    ("wrong content type", b"<xml/>", "application/xml", None, 415),
    ("csv without header", b"1,2,3\n4,5,6\n", "text/csv", None, 400),
]

def uploader():
    c = conn()
    n = 0
    auth = {"Authorization": f"Bearer {token}"}
    while not stop.wait(upload_every):
        if n % 2 == 0:
            body, ct, enc, want, what = VALID[(n // 2) % 2], "application/geo+json", "gzip", 200, "valid"
        else:
            what, body, ct, enc, want = INVALID[(n // 2) % len(INVALID)]
        n += 1
        headers = dict(auth, **{"Content-Type": ct})
        if enc:
            headers["Content-Encoding"] = enc
        kind = "upload:valid" if want == 200 else "upload:invalid"
        try:
            c, status, data = request(c, "PUT", "/api/v1/stations", body, headers)
        except Exception as e:
            record(kind, False, f"{what}: {e!r}")
            c = conn()
            continue
        ok = status == want
        if ok and want != 200:
            try:
                ok = json.loads(data)["status"] == want
            except Exception:
                ok = False
        record(kind, ok, f"{what}: {status} (want {want}) {data[:200]!r}")
        if ok and want == 200:
            with lock:
                valid_uploads[0] += 1

def reporter():
    c = conn()
    rng = random.Random(99)
    while not stop.wait(report_every):
        try:
            c, status, data = request(c, "GET", "/api/v1/stations/nearest?lat=39.9&lon=116.4&k=20")
            near = json.loads(data)
            sid = rng.choice([f["id"] for f in near["features"]])
            body = json.dumps({"reason": rng.choice(["closed", "moved", "wrong_hours"]), "comment": "soak"})
            c, status, data = request(c, "POST", f"/api/v1/stations/{sid}/reports", body.encode(),
                                      {"Content-Type": "application/json"})
            if status == 404:
                # Expected only if an upload replaced the dataset between the lookup and the report.
                c, _, h = request(c, "GET", "/healthz")
                if json.loads(h)["dataset_version"] != near["dataset_version"]:
                    record("report", True)
                    continue
        except Exception as e:
            record("report", False, repr(e))
            c = conn()
            continue
        record("report", status in (202, 429), f"{status} {data[:200]!r}")

def vmrss():
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None

threads = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(readers)]
threads += [threading.Thread(target=uploader, daemon=True), threading.Thread(target=reporter, daemon=True)]
t_start = time.monotonic()
for t in threads:
    t.start()
rss_start = None
next_sample = t_start
last_print = t_start
while True:
    now = time.monotonic()
    if now - t_start >= duration:
        break
    if now >= next_sample:
        kb = vmrss()
        if kb is None:
            record("server", False, "server process is gone")
            break
        rss.append((now - t_start, kb))
        if rss_start is None and now - t_start >= warmup and valid_uploads[0] >= 1:
            rss_start = kb
        next_sample += 5
    if now - last_print >= 30:
        last_print = now
        with lock:
            total = sum(c[0] for c in counts.values())
            failed = sum(c[1] for c in counts.values())
        print(f"  t={now - t_start:5.0f}s requests={total} failed={failed} rss={rss[-1][1] / 1024:.1f} MiB", flush=True)
    time.sleep(0.2)
stop.set()
for t in threads:
    t.join(timeout=70)
# Uploads swap whole datasets, so RSS saw-tooths: compare the peaks of a window right after warm-up with the
# peaks of the last window of the same length (a leak raises the peaks; one unlucky sample does not).
window = max(30.0, duration / 10)
t_warm = next((t for t, kb in rss if kb == rss_start and t >= warmup), rss[0][0] if rss else 0.0)
first = [kb for t, kb in rss if t_warm <= t < t_warm + window]
last = [kb for t, kb in rss if t >= duration - window]
rss_start = max(first) if first else (rss[0][1] if rss else 0)
rss_end = max(last) if last else (vmrss() or rss_start)

lat = sorted(latencies)
def pct(p):
    return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1e3 if lat else float("nan")
total = sum(c[0] for c in counts.values())
failed = sum(c[1] for c in counts.values())
growth = (rss_end - rss_start) / rss_start * 100 if rss_start else 0.0
rss_max = max(kb for _, kb in rss) if rss else rss_end
print()
print(f"duration            {duration:.0f} s, {readers} readers, upload every {upload_every:g} s, report every {report_every:g} s")
for kind in sorted(counts):
    print(f"  {kind:18s}{counts[kind][0]:>10} requests {counts[kind][1]:>6} failed")
print(f"requests            {total} ({total / duration:.0f}/s)")
print(f"failed requests     {failed}")
print(f"read latency        p50 {pct(50):.2f} ms   p99 {pct(99):.2f} ms   max {pct(100):.2f} ms (client-side, Python)")
print(f"RSS                 start {rss_start / 1024:.1f} MiB   end {rss_end / 1024:.1f} MiB   max {rss_max / 1024:.1f} MiB   "
      f"growth {growth:+.1f} %  (peaks of the {window:.0f} s after warm-up vs the last {window:.0f} s; {len(rss)} samples)")
for f in failures:
    print("  failure:", f)
ok = failed == 0 and growth <= max_growth
print("RESULT              " + ("PASS" if ok else f"FAIL ({failed} failed requests; RSS growth {growth:+.1f} %, limit {max_growth:g} %)"))
sys.exit(0 if ok else 1)
PY
STATUS=$?
set -e
if grep -qiE "panicked|ERROR" "$WORK/server.log"; then
    log "server log has errors:"
    grep -iE "panicked|ERROR" "$WORK/server.log" | head -20 >&2
fi
kill -0 "$SERVER_PID" 2>/dev/null || { log "the server died during the run"; STATUS=1; }
exit "$STATUS"
