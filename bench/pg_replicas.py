#!/usr/bin/env python3
"""Propagation between replicas that share one PostgreSQL (issue 16), measured by hand.

    python3 bench/pg_replicas.py target/release/yizhan [--changes 100] [--database-url URL]

Starts a throwaway cluster (scripts/pg-cluster.sh) unless --database-url is given, three replicas on it (each with its
own data directory, its local cache of dataset files), then makes CHANGES changes, round-robin on the three replicas
and cycling through the four kinds the issue names: an upload (POST of one station), a PATCH (closing a station with
a new note: its state), a rollback and a report. For each change it polls the two other replicas (every 2 ms) until
they serve it, and records the time from the writer's 2xx to the slower of the two. Prints p50 / p90 / max per kind
and overall; exits 1 if any change took over 1 s or never arrived (5 s).

The replicas run with --trust-forwarded-for so that each report's X-Forwarded-For counts as its own client: the
per-client limit (10 reports a minute, counted by each replica) would otherwise answer 429 to a longer run.

Also the helpers of bench/pg_outage.py and bench/pg_kill_upload.py: Cluster, Replica, scratch().
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG_CLUSTER = os.path.join(ROOT, "scripts", "pg-cluster.sh")
TOKEN = "bench-token"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def scratch(prefix):
    """A scratch directory that the cluster's owner can reach: as root, pg-cluster.sh runs the cluster as the
    `postgres` user, and mkdtemp's 0700 would keep it out."""
    work = tempfile.mkdtemp(prefix=prefix)
    os.chmod(work, 0o755)
    return work


class Cluster:
    """A throwaway PostgreSQL (scripts/pg-cluster.sh) in WORK/pg."""

    def __init__(self, work):
        self.dir = os.path.join(work, "pg")
        self.url = subprocess.check_output([PG_CLUSTER, "start", self.dir], text=True).strip()

    def _run(self, cmd):
        subprocess.run([PG_CLUSTER, cmd, self.dir], check=True)

    def kill(self):
        """SIGKILL of the postmaster: an outage."""
        self._run("kill")

    def restart(self):
        self._run("restart")

    def destroy(self):
        subprocess.run([PG_CLUSTER, "destroy", self.dir], check=False)


class Replica:
    """One `yizhan serve` on a loopback port, admin token TOKEN; on PostgreSQL when `url` is given, else on its data
    directory alone. `start()` again after `kill()` runs it on the same data directory (on a new port)."""

    def __init__(self, binary, work, name, url=None, args=()):
        self.binary, self.url, self.args, self.name = binary, url, list(args), name
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.log_path = os.path.join(work, f"{name}.log")
        self.proc = None
        self.conn = None
        self.start()

    def start(self, limit=60.0):
        self.port = free_port()
        self.conn = None
        cmd = [self.binary, "serve", "--addr", f"127.0.0.1:{self.port}", "--data-dir", self.dir,
               "--trust-forwarded-for", *self.args]
        if self.url:
            cmd += ["--database-url", self.url]
        env = dict(os.environ, YIZHAN_ADMIN_TOKEN=TOKEN, RUST_LOG=os.environ.get("RUST_LOG", "warn"))
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + limit
        while time.time() < deadline:
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} exited ({self.proc.returncode}); see {self.log_path}")
            time.sleep(0.05)
        self.kill()
        raise SystemExit(f"{self.name} never answered /healthz; see {self.log_path}")

    def request(self, method, path, body=None, headers=None, timeout=10):
        h = {"Authorization": f"Bearer {TOKEN}"}
        h.update(headers or {})
        for attempt in (0, 1):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            self.conn.timeout = timeout
            if self.conn.sock is not None:
                self.conn.sock.settimeout(timeout)
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                return r.status, r.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                # A kept-alive connection the server has since closed (idle): once more on a new one, for reads
                # only (a write may have been taken).
                if attempt == 0 and reused and method in ("GET", "HEAD"):
                    continue
                raise

    def get(self, path):
        return self.request("GET", path)

    def json(self, path):
        st, b = self.get(path)
        return st, (json.loads(b) if b else None)

    def healthz(self):
        st, body = self.json("/healthz")
        return dict(body, http_status=st)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.conn = None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.conn = None


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
    return r.healthz()["dataset_version"]


def check(cond, what):
    if not cond:
        raise SystemExit(f"unexpected answer: {what}")


def change(kind, i, writer, others):
    """Makes change i on `writer`; returns the seconds until every other replica serves it, or None (5 s)."""
    if kind == "upload":
        body = json.dumps({"type": "FeatureCollection", "features": [station(i)]})
        st, b = writer.request("POST", "/api/v1/stations", body, {"Content-Type": "application/geo+json"})
        check(st == 200, (kind, st, b))
        v = json.loads(b)["dataset_version"]
        return wait_until(others, lambda r: version_of(r) == v)
    if kind == "patch":
        # The station's state (no new dataset version): reads show `status_note` only while it is closed.
        note = f"note {i}"
        st, b = writer.request("PATCH", "/api/v1/stations/bench-prop-0",
                               json.dumps({"status": "temporarily_closed", "status_note": note}),
                               {"Content-Type": "application/merge-patch+json"})
        check(st == 200, (kind, st, b))

        def seen(r):
            s, body = r.get("/api/v1/stations/bench-prop-0")
            return s == 200 and json.loads(body)["properties"].get("status_note") == note
        return wait_until(others, seen)
    if kind == "rollback":
        # Newest first: the first version that is not current is the one before the last upload (a state PATCH makes
        # no version). Every version from the second setup upload on has bench-prop-0.
        st, listed = writer.json("/api/v1/dataset/versions")
        check(st == 200, (kind, st, listed))
        target = next(v["version"] for v in listed["versions"] if not v.get("current"))
        st, b = writer.request("POST", f"/api/v1/dataset/rollback?version={target}")
        check(st == 200, (kind, st, b))
        return wait_until(others, lambda r: version_of(r) == target)
    if kind == "report":
        st, b = writer.request("POST", "/api/v1/stations/bench-prop-0/reports",
                               json.dumps({"reason": "other", "comment": f"propagation {i}"}),
                               {"Content-Type": "application/json", "X-Forwarded-For": f"10.9.{i // 250}.{i % 250}"})
        check(st == 202, (kind, st, b))
        ticket = json.loads(b)["ticket"]
        return wait_until(others, lambda r: r.get(f"/api/v1/tickets/{ticket}")[0] == 200)
    raise ValueError(kind)


def row(name, ts):
    if not ts:
        return f"{name:9} (none)"
    q = statistics.quantiles(ts, n=10, method="inclusive") if len(ts) > 1 else ts * 9
    return (f"{name:9} n={len(ts):3}  p50 {statistics.median(ts) * 1000:7.1f} ms  "
            f"p90 {q[8] * 1000:7.1f} ms  max {max(ts) * 1000:7.1f} ms")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--changes", type=int, default=100)
    ap.add_argument("--database-url")
    args = ap.parse_args()
    work = scratch("yizhan-prop-")
    cluster = None
    url = args.database_url
    replicas = []
    ok = False
    try:
        if not url:
            cluster = Cluster(work)
            url = cluster.url
        for n in range(3):
            replicas.append(Replica(args.binary, work, f"r{n}", url))
        # bench-prop-0 (patched and reported) and a version to roll back to exist before the first change.
        for i in (1000, 1001):
            check(change("upload", i, replicas[0], replicas[1:]) is not None, f"upload {i} never propagated")
        kinds = ["upload", "patch", "rollback", "report"]
        times = {k: [] for k in kinds}
        lost = 0
        for i in range(args.changes):
            kind = kinds[i % 4]
            w = replicas[i % 3]
            t = change(kind, i, w, [r for r in replicas if r is not w])
            if t is None:
                lost += 1
                print(f"change {i} ({kind}) never reached every replica", file=sys.stderr)
            else:
                times[kind].append(t)
        every = [t for ts in times.values() for t in ts]
        for k in kinds:
            print(row(k, times[k]))
        print(row("all", every))
        slow = [t for t in every if t > 1.0]
        if lost or slow:
            print(f"FAIL: {lost} never arrived, {len(slow)} over 1 s", file=sys.stderr)
            return 1
        ok = True
        return 0
    finally:
        for r in replicas:
            r.stop()
        if cluster:
            cluster.destroy()
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"logs kept in {work}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
