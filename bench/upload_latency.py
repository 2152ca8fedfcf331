#!/usr/bin/env python3
"""Upload cost and read latency during an upload (issue: admin uploads). Run by hand:

    python3 bench/upload_latency.py [target/release/yizhan] [SIZES...]   (default sizes: 4070 200000)

For each size: a seeded nationwide dataset (scripts/gen_nationwide.py; the 4070 case uses the bundled sample),
PUT time (validate + index + persist, as the client sees it, 3 runs), and nearest-query latency from 4 reader
threads while idle and while the upload runs. Only 127.0.0.1. Prints a table.
"""
import json, os, socket, statistics, subprocess, sys, tempfile, threading, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "yizhan")
SIZES = [int(s) for s in sys.argv[2:]] or [4070, 200000]
TOKEN = "bench-token"


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] * 1000 if xs else float("nan")


def main():
    port, data = free_port(), tempfile.mkdtemp(prefix="yz-uplat-")
    env = dict(os.environ, YIZHAN_ADMIN_TOKEN=TOKEN)
    srv = subprocess.Popen([BIN, "serve", "--addr", f"127.0.0.1:{port}", "--data-dir", data, "--max-upload-mb", "1024"],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1); break
            except Exception:
                time.sleep(0.1)
        rows = []
        for n in SIZES:
            if n == 4070:
                body = open(os.path.join(ROOT, "data", "stations.geojson"), "rb").read()
            else:
                path = os.path.join(tempfile.gettempdir(), f"yz-nation-{n}.geojson")
                if not os.path.exists(path):
                    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_nationwide.py"), str(n), path], check=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                body = open(path, "rb").read()

            def put():
                r = urllib.request.Request(base + "/api/v1/stations", data=body, method="PUT",
                                           headers={"Content-Type": "application/geo+json", "Authorization": f"Bearer {TOKEN}"})
                t = time.perf_counter(); urllib.request.urlopen(r, timeout=600).read(); return time.perf_counter() - t

            def readers(stop, out):
                def run():
                    i = 0
                    while not stop.is_set():
                        i += 1
                        q = f"{base}/api/v1/stations/nearest?lat={39.8 + (i % 50) * 0.004}&lon={116.3 + (i % 37) * 0.005}&k=10"
                        t = time.perf_counter()
                        with urllib.request.urlopen(q, timeout=30) as resp:
                            resp.read()
                            if resp.status != 200:
                                out.append(float("inf"))
                        out.append(time.perf_counter() - t)
                ths = [threading.Thread(target=run) for _ in range(4)]
                [t.start() for t in ths]
                return ths

            put()  # warm: the dataset is in place
            stop, idle = threading.Event(), []
            ths = readers(stop, idle); time.sleep(3); stop.set(); [t.join() for t in ths]
            times, during = [], []
            for _ in range(3):
                stop = threading.Event(); ths = readers(stop, during)
                times.append(put())
                stop.set(); [t.join() for t in ths]
            rows.append((n, len(body) / 1e6, statistics.median(times), pct(idle, 50), pct(idle, 99), max(idle) * 1000,
                         pct(during, 50), pct(during, 99), max(during) * 1000, len(during)))
        print(f"{'stations':>9} {'MB':>6} {'PUT s':>7} | idle p50/p99/max ms | during-upload p50/p99/max ms (n)")
        for n, mb, t, i50, i99, imax, d50, d99, dmax, dn in rows:
            print(f"{n:>9} {mb:>6.1f} {t:>7.2f} | {i50:6.2f} {i99:6.2f} {imax:6.2f} | {d50:6.2f} {d99:6.2f} {dmax:6.2f} ({dn})")
    finally:
        srv.terminate(); srv.wait(10)


if __name__ == "__main__":
    main()
