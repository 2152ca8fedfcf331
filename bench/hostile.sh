#!/usr/bin/env bash
# Hostile clients against one yizhan build (issue 19), by hand, not in CI. Starts the binary on loopback with a
# generated dataset and replays each attack for DURATION seconds while sampling /healthz (one request every
# 50 ms, 2 s timeout) and the server's RSS; prints one line per attack:
#
#   attack  healthz p50/p99/max ms, timeouts, samples, server RSS max (idle)
#
#   bench/hostile.sh BINARY                 # e.g. /work/main/target/release/yizhan, then target/release/yizhan
#   N=200000 ATTACKS="slowbody h2slow along downloads" bench/hostile.sh BINARY
#
# The attackers connect from 127.0.0.2 and the /healthz prober from 127.0.0.1, as two clients would (the
# per-address caps would otherwise count the prober as the attacker). Attacks:
#   slowbody   SLOW (1030) connections POST a report with Content-Length: 8000 and send one byte every 9 s;
#              a closed or refused connection reconnects after 1 s.
#   h2slow     6 HTTP/2 (prior knowledge, h2c) connections open up to 200 streams each (as many as the server
#              allows), each a report POST with content-length: 8000 whose body gets one byte every 9 s;
#              closed streams are reopened once a second, a closed connection after 1 s.
#   along      32 clients loop along?path=<2,000 points>&max_distance_m=5000&limit=200.
#   downloads  24 connections GET /api/v1/dataset with a 4 KiB receive buffer and never read.
# h2slow needs the Python `h2` package: the script installs it from PyPI into a venv under the target
# directory ($CARGO_TARGET_DIR or target/: hostile-venv) the first time, and runs the attacks with that venv.
#
# Targets: /healthz p99 <= 100 ms and 0 timeouts under slowbody and along; RSS <= 2x idle under downloads.
# Knobs: N (200000), DATA (default /work/abdata/n200k.geojson if N=200000 and it exists, else generated into
# $TMPDIR once), DURATION (25 s), PORT (18301), SLOW (1030), ATTACKS ("slowbody h2slow along downloads").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN=$1
N="${N:-200000}" DURATION="${DURATION:-25}" PORT="${PORT:-18301}" SLOW="${SLOW:-1030}"
ATTACKS="${ATTACKS:-slowbody h2slow along downloads}"
DATA="${DATA:-}"
if [ -z "$DATA" ]; then
  if [ "$N" = 200000 ] && [ -s /work/abdata/n200k.geojson ]; then DATA=/work/abdata/n200k.geojson
  else DATA="${TMPDIR:-/tmp}/yizhan-hostile-$N.geojson"; fi
fi
[ -s "$DATA" ] || python3 "$ROOT/scripts/gen_nationwide.py" "$N" "$DATA"

PY=python3
case " $ATTACKS " in *" h2slow "*)
  VENV="${CARGO_TARGET_DIR:-$ROOT/target}/hostile-venv"
  if ! "$VENV/bin/python" -c 'import h2' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet h2
  fi
  PY="$VENV/bin/python";;
esac

RUN="$(mktemp -d /tmp/yizhan-hostile.XXXXXX)"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$RUN"; }
trap cleanup EXIT

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
TOKEN=hostile-token
YIZHAN_ADMIN_TOKEN=$TOKEN RUST_LOG=warn "$BIN" serve --addr "127.0.0.1:$PORT" --data-dir "$RUN/data" \
  --max-upload-mb 4096 >"$RUN/log" 2>&1 &
PID=$!
for _ in $(seq 300); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break; sleep 0.1; done
curl -fsS -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/geo+json' \
  --data-binary "@$DATA" "http://127.0.0.1:$PORT/api/v1/stations"
sleep 3

"$PY" - "$PORT" "$PID" "$DURATION" "$SLOW" "$ATTACKS" <<'EOF'
import http.client, json, random, resource, socket, statistics, sys, threading, time

port, pid, duration, slow_n, attacks = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5].split()
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
ATTACKER, PROBER = "127.0.0.2", "127.0.0.1"

def rss_mib():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

def get(path, timeout=30):
    c = http.client.HTTPConnection(PROBER, port, timeout=timeout)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body

station = json.loads(get("/api/v1/stations?limit=1")[1])["features"][0]["id"]

def connect(rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((ATTACKER, 0))
    s.settimeout(3)
    s.connect(("127.0.0.1", port))
    return s

def slowbody(stop):
    head = (f"POST /api/v1/stations/{station}/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 8000\r\n\r\n").encode()
    socks = [None] * slow_n
    next_at = [0.0] * slow_n
    while not stop.is_set():
        now = time.time()
        for i in range(slow_n):
            if stop.is_set():
                break
            if next_at[i] > now:
                continue
            try:
                if socks[i] is None:
                    socks[i] = connect()
                    socks[i].sendall(head)
                else:
                    socks[i].sendall(b" ")
                next_at[i] = now + 9
            except OSError:
                if socks[i] is not None:
                    socks[i].close()
                socks[i] = None
                next_at[i] = now + 1
        time.sleep(0.05)
    for s in socks:
        if s is not None:
            s.close()

def h2slow(stop):
    conns = [threading.Thread(target=h2conn, args=(stop,), daemon=True) for _ in range(6)]
    for t in conns:
        t.start()
    for t in conns:
        t.join()

def h2conn(stop):
    import h2.config, h2.connection, h2.events, h2.exceptions
    head = [(":method", "POST"), (":scheme", "http"), (":authority", "x"),
            (":path", f"/api/v1/stations/{station}/reports"), ("content-type", "application/json"),
            ("content-length", "8000")]
    while not stop.is_set():
        try:
            s = connect()
            s.settimeout(0.5)
            c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
            c.initiate_connection()
            s.sendall(c.data_to_send())
            streams, open_at, drip_at, alive = set(), 0.0, 0.0, True
            while alive and not stop.is_set():
                now = time.time()
                if now >= open_at:
                    open_at = now + 1
                    while len(streams) < 200:
                        sid = c.get_next_available_stream_id()
                        try:
                            c.send_headers(sid, head)
                        except h2.exceptions.TooManyStreamsError:
                            break
                        streams.add(sid)
                if now >= drip_at:
                    drip_at = now + 9
                    for sid in list(streams):
                        try:
                            c.send_data(sid, b" ")
                        except h2.exceptions.H2Error:
                            streams.discard(sid)
                s.sendall(c.data_to_send())
                try:
                    data = s.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    break
                for ev in c.receive_data(data):
                    if isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset)):
                        streams.discard(ev.stream_id)
                    elif isinstance(ev, h2.events.DataReceived):
                        c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                    elif isinstance(ev, h2.events.ConnectionTerminated):
                        alive = False
                s.sendall(c.data_to_send())
            s.close()
        except (OSError, Exception):
            pass
        time.sleep(1)

def along(stop):
    rnd = random.Random(threading.get_ident())
    lon, lat = 116.0 + rnd.random(), 39.6 + rnd.random()
    pts = ";".join(f"{lon + i * 0.0005:.5f},{lat + i * 0.0002:.5f}" for i in range(2000))
    path = f"/api/v1/stations/along?path={pts}&max_distance_m=5000&limit=200"
    while not stop.is_set():
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(ATTACKER, 0))
            while not stop.is_set():
                c.request("GET", path)
                r = c.getresponse()
                r.read()
                if r.status == 503:
                    time.sleep(0.05)
        except (OSError, http.client.HTTPException):
            time.sleep(0.1)

def downloads(stop):
    socks = []
    for _ in range(24):
        try:
            s = connect(rcvbuf=4096)
            s.sendall(b"GET /api/v1/dataset HTTP/1.1\r\nHost: x\r\n\r\n")
            socks.append(s)
        except OSError:
            pass
    stop.wait()
    for s in socks:
        s.close()

def probe(stop, out):
    while not stop.is_set():
        t = time.time()
        try:
            st, _ = get("/healthz", timeout=2)
            out.append((time.time() - t) * 1000 if st == 200 else None)
        except (OSError, http.client.HTTPException):
            out.append(None)
        time.sleep(max(0, 0.05 - (time.time() - t)))

idle = rss_mib()
print(f"{'attack':10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'timeouts':>8} {'samples':>7} {'RSS max MiB':>11} (idle {idle:.0f})")
for name in attacks:
    stop = threading.Event()
    workers = {"slowbody": [slowbody], "h2slow": [h2slow], "along": [along] * 32, "downloads": [downloads]}[name]
    threads = [threading.Thread(target=w, args=(stop,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    time.sleep(2)
    samples, rss = [], idle
    pstop = threading.Event()
    pt = threading.Thread(target=probe, args=(pstop, samples), daemon=True)
    pt.start()
    end = time.time() + duration
    while time.time() < end:
        rss = max(rss, rss_mib())
        time.sleep(0.2)
    pstop.set(); pt.join()
    stop.set()
    for t in threads:
        t.join(timeout=10)
    ok = sorted(s for s in samples if s is not None)
    q = lambda p: ok[min(len(ok) - 1, int(p * len(ok)))] if ok else float("nan")
    print(f"{name:10} {q(0.5):8.1f} {q(0.99):8.1f} {(ok[-1] if ok else float('nan')):8.1f} "
          f"{len(samples) - len(ok):8d} {len(samples):7d} {rss:11.0f}", flush=True)
    time.sleep(12)  # let the server drop the attack's connections before the next one
EOF
