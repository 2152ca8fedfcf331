#!/usr/bin/env python3
"""PostgreSQL stopped mid-run (issue 16, must show), by hand.

    python3 bench/pg_outage.py target/release/yizhan [--duration 20] [--kill-at 6] [--outage 5]

A throwaway cluster (scripts/pg-cluster.sh), two replicas on it and a dataset (scripts/gen_nationwide.py, --stations,
uploaded to replica 1). wrk (bench/nearest.lua: nearest queries from seeded points) runs against replica 1 for
--duration seconds; --kill-at seconds in, the postmaster is SIGKILLed (pg-cluster.sh kill), and --outage seconds later
started again (pg-cluster.sh restart). It checks:

  - during the outage: /healthz answers 200 with "store":"unavailable" on both replicas; a PATCH on each gets 503
    problem+json; a read on replica 2 still answers;
  - after the restart: a PATCH succeeds on each replica within --recover seconds; both replicas converge (store ok,
    the same dataset_version, both patches and the one acknowledged before the outage visible on both);
  - wrk across the whole run: 0 errors (non-2xx answers + socket errors + timeouts).

Prints the figures and one PASS/FAIL line per check; exits 1 if any check failed. Needs wrk.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pg_replicas import ROOT, Cluster, Replica, check, scratch  # noqa: E402

MERGE = {"Content-Type": "application/merge-patch+json"}


class Checks:
    def __init__(self):
        self.rows = []

    def add(self, ok, what, figure=""):
        self.rows.append((bool(ok), what, figure))
        print(f"{'PASS' if ok else 'FAIL'}  {what}{'  — ' + figure if figure else ''}", flush=True)
        return ok

    def failed(self):
        return [r for r in self.rows if not r[0]]


def patch(r, sid, note, timeout=10):
    """(status, seconds, body) of a PATCH that closes station `sid` with `note`; status 0 when the request failed."""
    if r.conn is not None:  # a fresh connection: a write is never retried on a stale one
        r.conn.close()
        r.conn = None
    t0 = time.perf_counter()
    try:
        # A note shows in reads only while the station is closed (status "open" hides it).
        body = json.dumps({"status": "temporarily_closed", "status_note": note})
        st, body = r.request("PATCH", f"/api/v1/stations/{sid}", body, MERGE, timeout)
    except (OSError, http.client.HTTPException) as e:
        return 0, time.perf_counter() - t0, str(e).encode()
    return st, time.perf_counter() - t0, body


def problem_json(body):
    try:
        p = json.loads(body)
    except ValueError:
        return False
    return isinstance(p, dict) and {"type", "title", "status"} <= p.keys()


def note_of(r, sid):
    st, body = r.json(f"/api/v1/stations/{sid}")
    return body["properties"].get("status_note") if st == 200 else None


def poll(fn, limit, every=0.1):
    """Seconds until fn() is true, or None after `limit` seconds."""
    t0 = time.perf_counter()
    while True:
        try:
            if fn():
                return time.perf_counter() - t0
        except (OSError, http.client.HTTPException, ValueError, KeyError):
            pass
        if time.perf_counter() - t0 > limit:
            return None
        time.sleep(every)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--duration", type=int, default=20, help="wrk's run, seconds (20)")
    ap.add_argument("--kill-at", type=float, default=6, help="seconds into the wrk run to kill PostgreSQL (6)")
    ap.add_argument("--outage", type=float, default=5, help="seconds until it is started again (5)")
    ap.add_argument("--recover", type=float, default=15, help="limit for a write to succeed after restart (15)")
    ap.add_argument("--stations", type=int, default=20000, help="dataset size (20000)")
    ap.add_argument("--conns", type=int, default=16, help="wrk connections (16, on 2 threads)")
    args = ap.parse_args()
    if args.kill_at + args.outage >= args.duration:
        ap.error("--kill-at + --outage must end before --duration")
    if not shutil.which("wrk"):
        raise SystemExit("needs wrk (apt-get install wrk)")

    work = scratch("yizhan-outage-")
    cluster, replicas, wrk = None, [], None
    checks = Checks()
    try:
        data = os.path.join(work, "stations.geojson")
        points = os.path.join(work, "points.txt")
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts/gen_nationwide.py"), str(args.stations), data,
                        "--seed", "16"], check=True, stderr=subprocess.DEVNULL)
        subprocess.run([sys.executable, os.path.join(ROOT, "bench/prep.py"), "points", "10000", points,
                        "--seed", "4242"], check=True)
        cluster = Cluster(work)
        r1 = Replica(args.binary, work, "r1", cluster.url)
        replicas.append(r1)
        r2 = Replica(args.binary, work, "r2", cluster.url)
        replicas.append(r2)
        with open(data, "rb") as f:
            st, b = r1.request("PUT", "/api/v1/stations", f.read(), {"Content-Type": "application/geo+json"}, 120)
        check(st == 200, ("upload", st, b[:300]))
        v0 = json.loads(b)["dataset_version"]
        check(poll(lambda: r2.healthz()["dataset_version"] == v0, 10) is not None, "replica 2 never loaded the upload")
        # Acknowledged before the outage: must survive it.
        st, _, b = patch(r1, "cn-0000001", "before the outage")
        check(st == 200, ("patch before the outage", st, b[:300]))
        print(f"dataset: {args.stations} stations, version {v0}; replicas on :{r1.port} and :{r2.port}; "
              f"wrk -c{args.conns} for {args.duration} s on replica 1", flush=True)

        wrk = subprocess.Popen(
            ["wrk", "-t2", f"-c{args.conns}", f"-d{args.duration}s", "--latency", "-s",
             os.path.join(ROOT, "bench/nearest.lua"), f"http://127.0.0.1:{r1.port}", "--", "nearest", points],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        t_wrk = time.perf_counter()
        time.sleep(args.kill_at)

        cluster.kill()
        t_kill = time.perf_counter()
        print(f"{t_kill - t_wrk:5.1f} s  PostgreSQL killed", flush=True)
        statuses = {r.name: set() for r in replicas}

        def unavailable(r):
            h = r.healthz()
            statuses[r.name].add(h["http_status"])
            return h.get("store") == "unavailable"
        # Both replicas polled together, within the outage (leaving a second for the PATCHes below).
        noticed = {}

        def both():
            for r in replicas:
                if r.name not in noticed and unavailable(r):
                    noticed[r.name] = time.perf_counter() - t_kill
            return len(noticed) == len(replicas)
        poll(both, max(0.5, args.outage - 1), 0.05)
        for r in replicas:
            t = noticed.get(r.name)
            checks.add(t is not None and statuses[r.name] == {200},
                       f"outage: {r.name} /healthz 200 with store unavailable",
                       f"after {t:.2f} s" if t is not None else f"never (statuses {sorted(statuses[r.name])})")
        for r in replicas:
            st, secs, body = patch(r, "cn-0000002", f"during the outage ({r.name})")
            checks.add(st == 503 and problem_json(body), f"outage: PATCH on {r.name} refused with 503 problem+json",
                       f"{st} in {secs * 1000:.0f} ms")
        st, _ = r2.json("/api/v1/stations/nearest?lat=39.9&lon=116.4&k=5")
        checks.add(st == 200, "outage: a nearest query on replica 2 answers", str(st))

        time.sleep(max(0.0, t_kill + args.outage - time.perf_counter()))
        cluster.restart()
        t_restart = time.perf_counter()
        print(f"{t_restart - t_wrk:5.1f} s  PostgreSQL restarted (down {t_restart - t_kill:.1f} s)", flush=True)
        for r, sid in ((r1, "cn-0000002"), (r2, "cn-0000003")):
            note = f"after the outage ({r.name})"
            t = poll(lambda: patch(r, sid, note, 5)[0] == 200, args.recover, 0.2)
            checks.add(t is not None, f"after restart: a PATCH on {r.name} succeeds within {args.recover:.0f} s",
                       f"{time.perf_counter() - t_restart:.2f} s after the restart" if t is not None else "never")

        def converged():
            h = [r.healthz() for r in replicas]
            return (all(x.get("store") == "ok" for x in h) and h[0]["dataset_version"] == h[1]["dataset_version"]
                    and all(note_of(r, "cn-0000001") == "before the outage"
                            and note_of(r, "cn-0000002") == "after the outage (r1)"
                            and note_of(r, "cn-0000003") == "after the outage (r2)" for r in replicas))
        t = poll(converged, 5, 0.05)
        hs = [r.healthz() for r in replicas]
        checks.add(t is not None, "after restart: both replicas converge (store ok, same version, every "
                   "acknowledged patch on both)",
                   f"within {t:.2f} s" if t is not None else
                   "; ".join(f"{r.name}: store {h.get('store')}, version {h.get('dataset_version')}, notes "
                             f"{[note_of(r, s) for s in ('cn-0000001', 'cn-0000002', 'cn-0000003')]}"
                             for r, h in zip(replicas, hs)))

        out, _ = wrk.communicate(timeout=args.duration + 60)
        wrk = None
        m = re.search(r"^RESULT (\S+) (\S+) (\S+) (\d+)", out, re.M)
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        sock = re.search(r"Socket errors: (.*)", out)
        if not m:
            print(out, file=sys.stderr)
            checks.add(False, "wrk ran", "no RESULT line")
        else:
            rps, p50, p99, errors = float(m[1]), float(m[2]), float(m[3]), int(m[4])
            print(f"wrk: {rps:,.0f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms; non-2xx "
                  f"{non2xx[1] if non2xx else 0}; socket errors: {sock[1] if sock else 'none'}", flush=True)
            checks.add(errors == 0, "wrk across the outage: 0 errors (non-2xx + socket errors)", str(errors))
    except SystemExit as e:  # a setup step or an answer the checks cannot go on from
        checks.add(False, f"setup: {e}")
    finally:
        if wrk:
            wrk.kill()
            wrk.wait()
        for r in replicas:
            r.stop()
        if cluster:
            cluster.destroy()
    failed = checks.failed()
    if failed:
        print(f"FAIL: {len(failed)} of {len(checks.rows)} checks; logs kept in {work}", file=sys.stderr)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print(f"all {len(checks.rows)} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
