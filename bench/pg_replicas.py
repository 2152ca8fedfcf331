#!/usr/bin/env python3
"""Propagation between replicas that share one PostgreSQL (issue 16), measured by hand.

    python3 bench/pg_replicas.py target/release/yizhan [--changes 100] [--database-url URL]

Starts a throwaway cluster (scripts/pg-cluster.sh) unless --database-url is given, three replicas on it (each with its
own data directory for the demand counts), then makes CHANGES changes, round-robin on the three replicas and cycling
through the four kinds the issue names: an upload (POST of one station), a PATCH, a rollback and a report. For each
change it polls the two other replicas (every 2 ms) until they serve it, and records the time from the writer's 2xx
to the slower of the two. Prints p50 / p90 / max per kind and overall; exits 1 if any change took over 1 s or never
arrived (5 s).
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN = "bench-token"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Replica:
    def __init__(self, binary, url, workdir, n):
        self.port = free_port()
        self.dir = os.path.join(workdir, f"r{n}")
        os.makedirs(self.dir)
        env = dict(os.environ, YIZHAN_ADMIN_TOKEN=TOKEN, RUST_LOG="warn")
        self.log = open(os.path.join(workdir, f"r{n}.log"), "w")
        self.proc = subprocess.Popen(
            [binary, "serve", "--addr", f"127.0.0.1:{self.port}", "--data-dir", self.dir, "--database-url", url],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.conn = None
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                self.conn = None
            if self.proc.poll() is not None:
                raise SystemExit(f"replica {n} exited; see {self.log.name}")
            time.sleep(0.1)
        raise SystemExit(f"replica {n} never answered /healthz")

    def request(self, method, path, body=None, headers=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        h = {"Authorization": f"Bearer {TOKEN}"}
        h.update(headers or {})
        try:
            self.conn.request(method, path, body=body, headers=h)
            r = self.conn.getresponse()
            return r.status, r.read()
        except (OSError, http.client.HTTPException):
            self.conn = None
            raise

    def get(self, path):
        return self.request("GET", path)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def wait_until(replicas, probe, limit=5.0):
    """Seconds until `probe(replica)` is true on every replica, or None."""
    start = time.perf_counter()
    pending = list(replicas)
    while pending and time.perf_counter() - start < limit:
        pending = [r for r in pending if not probe(r)]
        if pending:
            time.sleep(0.002)
    return None if pending else time.perf_counter() - start


def station(i):
    return {"type": "Feature", "id": f"bench-prop-{i % 7}",
            "geometry": {"type": "Point", "coordinates": [116.40 + i * 1e-4, 39.90]},
            "properties": {"name": f"传播测试 {i}", "kind": "station", "host_type": "bank",
                           "district": "东城区", "amenities": ["water"], "opening_hours": "24/7"}}


def version_of(r):
    return json.loads(r.get("/healthz")[1])["dataset_version"]


def change(kind, i, writer, others):
    """Makes change i on `writer`; returns (seconds to the slowest other replica, or None)."""
    if kind == "upload":
        body = json.dumps({"type": "FeatureCollection", "features": [station(i)]})
        st, b = writer.request("POST", "/api/v1/stations", body, {"Content-Type": "application/geo+json"})
        assert st == 200, (st, b)
        v = json.loads(b)["dataset_version"]
        t0 = time.perf_counter()
        return wait_until(others, lambda r: version_of(r) == v, 5.0), t0
    if kind == "patch":
        note = f"note {i}"
        st, b = writer.request("PATCH", "/api/v1/stations/bench-prop-0", json.dumps({"status_note": note}),
                               {"Content-Type": "application/merge-patch+json"})
        assert st == 200, (st, b)

        def seen(r):
            s, body = r.get("/api/v1/stations/bench-prop-0")
            return s == 200 and json.loads(body)["properties"].get("status_note") == note
        return wait_until(others, seen), None
    if kind == "rollback":
        st, b = writer.get("/api/v1/dataset/versions")
        assert st == 200, (st, b)
        listed = json.loads(b)
        versions = listed["versions"] if isinstance(listed, dict) else listed
        target = next(v["version"] for v in versions if not v.get("current"))
        st, b = writer.request("POST", f"/api/v1/dataset/rollback?version={target}")
        assert st == 200, (st, b)
        return wait_until(others, lambda r: version_of(r) == target), None
    if kind == "report":
        st, b = writer.request("POST", "/api/v1/stations/bench-prop-0/reports",
                               json.dumps({"reason": "other", "comment": f"propagation {i}"}),
                               {"Content-Type": "application/json", "X-Forwarded-For": f"10.9.{i // 250}.{i % 250}"})
        assert st == 202, (st, b)
        ticket = json.loads(b)["ticket"]
        return wait_until(others, lambda r: r.get(f"/api/v1/tickets/{ticket}")[0] == 200), None
    raise ValueError(kind)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--changes", type=int, default=100)
    ap.add_argument("--database-url")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="yizhan-prop-")
    cluster = None
    url = args.database_url
    if not url:
        cluster = os.path.join(work, "pg")
        url = subprocess.check_output([os.path.join(ROOT, "scripts/pg-cluster.sh"), "start", cluster], text=True).strip()
    replicas = []
    try:
        replicas = [Replica(args.binary, url, work, n) for n in range(3)]
        # Two versions exist before the first rollback.
        for i in range(2):
            change("upload", 1000 + i, replicas[0], replicas[1:])
        kinds = ["upload", "patch", "rollback", "report"]
        times = {k: [] for k in kinds}
        lost = 0
        for i in range(args.changes):
            kind = kinds[i % 4]
            w = replicas[i % 3]
            others = [r for r in replicas if r is not w]
            t, _ = change(kind, i, w, others)
            if t is None:
                lost += 1
                print(f"change {i} ({kind}) never reached every replica", file=sys.stderr)
            else:
                times[kind].append(t)
        every = [t for ts in times.values() for t in ts]

        def row(name, ts):
            if not ts:
                return f"{name:9} (none)"
            q = statistics.quantiles(ts, n=10) if len(ts) > 1 else ts * 9
            return (f"{name:9} n={len(ts):3}  p50 {statistics.median(ts) * 1000:7.1f} ms  "
                    f"p90 {q[8] * 1000:7.1f} ms  max {max(ts) * 1000:7.1f} ms")
        for k in kinds:
            print(row(k, times[k]))
        print(row("all", every))
        slow = [t for t in every if t > 1.0]
        if lost or slow:
            print(f"FAIL: {lost} never arrived, {len(slow)} over 1 s", file=sys.stderr)
            return 1
        return 0
    finally:
        for r in replicas:
            r.stop()
        if cluster:
            subprocess.run([os.path.join(ROOT, "scripts/pg-cluster.sh"), "destroy", cluster], check=False)


if __name__ == "__main__":
    sys.exit(main())
