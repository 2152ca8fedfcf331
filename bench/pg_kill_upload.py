#!/usr/bin/env python3
"""kill -9 of a replica during an upload (issue 16, must show), by hand.

    python3 bench/pg_kill_upload.py target/release/yizhan [--rounds 20] [--stations 50000] [--seed 1]
                                    [--database-url URL | --without-database]

One replica on a throwaway cluster (scripts/pg-cluster.sh; or --database-url, an empty database you can spare).
Round 0 uploads a dataset (scripts/gen_nationwide.py STATIONS --seed SEED) whole and times it (T: the median of
this and of every later whole PUT that replaced a version). Each round k then
starts a PUT of another dataset (seed SEED+k) with curl and SIGKILLs the replica at a random moment in the k-th of
ROUNDS equal slices of [0, 1.1 T] (seeded: --kill-seed), starts it again on the same data directory and checks what it serves:

  - the current dataset is exactly the old version or exactly the new one: /healthz's dataset_version is the old
    version or the one a complete PUT of the new file gives, and the downloaded dataset (GET /api/v1/dataset) has the
    same stations (ids, coordinates, names) as that file, never a mix;
  - a PUT that was answered 200 before the kill is never lost (the new version);
  - every version listed by GET /api/v1/dataset/versions is loadable, and the current one is marked current;
  - on PostgreSQL, a second replica started on an empty data directory (so from the database alone, not the first
    replica's cache) serves the same version and the same stations.

After the checks the round's file is PUT whole (or again), so the next round starts from a known version. Prints one
line per round and a summary (how many rounds ended on the old and on the new version, kill times); exits 1 if any
check failed. --without-database runs the same rounds on a replica with its data directory alone (the v1 store).
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pg_replicas import ROOT, TOKEN, Cluster, Replica, scratch  # noqa: E402


def fingerprint(fc):
    """(station count, sha256 of the sorted "id lon lat name" lines) of a FeatureCollection."""
    lines = sorted(f"{f['id']}\t{f['geometry']['coordinates'][0]:.6f}\t{f['geometry']['coordinates'][1]:.6f}\t"
                   f"{f['properties']['name']}" for f in fc["features"])
    return len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


class Datasets:
    """The generated files, made on first use, and their fingerprints."""

    def __init__(self, work, stations):
        self.work, self.stations, self.prints = work, stations, {}

    def path(self, seed):
        p = os.path.join(self.work, f"ds-{seed}.geojson")
        if not os.path.exists(p):
            subprocess.run([sys.executable, os.path.join(ROOT, "scripts/gen_nationwide.py"), str(self.stations), p,
                            "--seed", str(seed)], check=True, stderr=subprocess.DEVNULL)
            with open(p, encoding="utf-8") as f:
                self.prints[seed] = fingerprint(json.load(f))
        return p


def put(r, path, timeout=600):
    with open(path, "rb") as f:
        st, b = r.request("PUT", "/api/v1/stations", f.read(), {"Content-Type": "application/geo+json"}, timeout)
    if st != 200:
        raise SystemExit(f"PUT {path}: {st} {b[:300]!r}")
    return json.loads(b)["dataset_version"]


def served(r):
    """(dataset_version, station count, fingerprint, versions list) as `r` serves them."""
    version = r.healthz()["dataset_version"]
    st, b = r.request("GET", "/api/v1/dataset", timeout=120)
    if st != 200:
        raise SystemExit(f"GET /api/v1/dataset: {st} {b[:300]!r}")
    count, fp = fingerprint(json.loads(b))
    st, listed = r.json("/api/v1/dataset/versions")
    if st != 200:
        raise SystemExit(f"GET /api/v1/dataset/versions: {st}")
    return version, count, fp, listed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--stations", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=1, help="dataset seed of round 0; round k uses SEED+k")
    ap.add_argument("--kill-seed", type=int, default=16, help="seed of the kill times")
    store = ap.add_mutually_exclusive_group()
    store.add_argument("--database-url", help="an existing, empty database instead of a throwaway cluster")
    store.add_argument("--without-database", action="store_true", help="the data directory alone (v1 store)")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    if not shutil.which("curl"):
        raise SystemExit("needs curl")

    rng = random.Random(args.kill_seed)
    work = scratch("yizhan-killup-")
    cluster, r, curl = None, None, None
    failures, rows = [], []
    try:
        url = args.database_url
        if not url and not args.without_database:
            cluster = Cluster(work)
            url = cluster.url
        sets = Datasets(work, args.stations)
        r = Replica(args.binary, work, "r", url)
        store = "PostgreSQL" if url else "the data directory"

        first = sets.path(args.seed)
        t0 = time.perf_counter()
        version = put(r, first)
        took = time.perf_counter() - t0
        durations = [took]
        old = (version, sets.prints[args.seed])
        print(f"{store}: round 0 PUT of {args.stations} stations took {took:.2f} s (version {version}); "
              f"kills in [0, {1.1 * took:.2f}] s", flush=True)

        for k in range(1, args.rounds + 1):
            seed = args.seed + k
            path = sets.path(seed)
            new_print = sets.prints[seed]
            body = os.path.join(work, "put.out")
            # Stratified: round k kills at a random moment of the k-th of ROUNDS equal slices of [0, 1.1 T], so the
            # kills cover the whole upload (receiving, parsing, indexing, committing) and a little after it.
            delay = 1.1 * took * (k - 1 + rng.random()) / args.rounds
            curl = subprocess.Popen(
                ["curl", "-sS", "-H", "Expect:", "-o", body, "-w", "%{http_code}", "-X", "PUT", "-H", f"Authorization: Bearer {TOKEN}",
                 "-H", "Content-Type: application/geo+json", "--data-binary", f"@{path}",
                 f"http://127.0.0.1:{r.port}/api/v1/stations"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            time.sleep(delay)
            r.kill()
            code = curl.communicate(timeout=60)[0].strip()
            curl = None
            acked = code == "200"
            new_version = None
            if acked:
                with open(body, encoding="utf-8") as f:
                    new_version = json.load(f)["dataset_version"]

            r.start()
            version, count, fp, listed = served(r)
            problems = []
            if (version, (count, fp)) == (old[0], old[1]):
                outcome = "old"
            elif (count, fp) == new_print and version != old[0]:
                outcome = "new"
            else:
                outcome = "MIX"
                problems.append(f"serves version {version} with {count} stations ({fp}): neither the old "
                                f"({old[0]}, {old[1][0]} stations) nor the new file ({new_print[0]} stations)")
            if acked and outcome != "new":
                problems.append(f"the PUT was answered 200 ({new_version}) but the replica serves {version}")
            if listed.get("current") != version or not any(
                    v["version"] == version and v.get("current") for v in listed["versions"]):
                problems.append(f"versions list: current {listed.get('current')}, served {version}")
            bad = [v["version"] for v in listed["versions"] if v.get("loadable") is False]
            if bad:
                problems.append(f"versions listed but not loadable: {bad}")
            if url:
                fresh = Replica(args.binary, work, f"fresh{k}", url)
                try:
                    fv, fc, ffp, _ = served(fresh)
                finally:
                    fresh.stop()
                    shutil.rmtree(fresh.dir, ignore_errors=True)
                if (fv, fc, ffp) != (version, count, fp):
                    problems.append(f"a replica on an empty data directory serves {fv} ({fc} stations, {ffp}), "
                                    f"the restarted one {version} ({count} stations, {fp})")

            # The round's file whole: the version a complete PUT gives, which a "new" outcome must equal. Its time
            # joins T's samples (the median of all: the machine's load changes).
            t0 = time.perf_counter()
            complete = put(r, path)
            if outcome == "old":
                durations.append(time.perf_counter() - t0)
                took = statistics.median(durations)
            if outcome == "new" and complete != version:
                problems.append(f"serves {version}, but a complete PUT of the new file gives {complete}")
            if acked and new_version != complete:
                problems.append(f"the acknowledged PUT gave {new_version}, a complete one {complete}")
            old = (complete, new_print)

            line = (f"round {k:2}: kill at {delay:5.2f} s, PUT {'answered 200' if acked else 'cut (' + code + ')':14} "
                    f"→ {outcome}")
            print(line + ("" if not problems else "  FAIL: " + "; ".join(problems)), flush=True)
            rows.append((delay, acked, outcome))
            failures += [f"round {k}: {p}" for p in problems]

        n_old = sum(1 for _, _, o in rows if o == "old")
        n_new = sum(1 for _, _, o in rows if o == "new")
        n_ack = sum(1 for _, a, _ in rows if a)
        print(f"{len(rows)} rounds on {store}: {n_old} old, {n_new} new ({n_ack} of them answered 200 before "
              f"the kill), {len(rows) - n_old - n_new} mixed; kills at {min(d for d, _, _ in rows):.2f}.."
              f"{max(d for d, _, _ in rows):.2f} s; a whole PUT took {min(durations):.2f}..{max(durations):.2f} s "
              f"(median {took:.2f} s, {len(durations)} PUTs)")
    except SystemExit as e:
        failures.append(f"setup: {e}")
    finally:
        if curl:
            curl.kill()
            curl.wait()
        if r:
            r.stop()
        if cluster:
            cluster.destroy()
    if failures:
        print(f"FAIL: {len(failures)} problems; logs kept in {work}", file=sys.stderr)
        for f in failures:
            print(f"  {f}", file=sys.stderr)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("PASS: every round ended on exactly the old or the new version")
    return 0


if __name__ == "__main__":
    sys.exit(main())
