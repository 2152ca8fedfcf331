#!/usr/bin/env python3
"""Markdown table of the latest criterion results, with index-vs-brute-force ratios.

    cargo bench --bench index && cargo bench --bench upload
    python3 bench/criterion_table.py [TARGET_DIR/criterion]

Reads every <group>/<bench>/new/{benchmark,estimates}.json that `cargo bench` left (standard library only).
For each benchmark named rtree/<x> it looks up brute/<x> (or brute_sampled/<x>, a brute-force scan of a
stride of the stations whose time is scaled up by the stride) in the same group and prints brute ÷ rtree. For the
filtered-nearest group it also prints each filter's time ÷ the unfiltered time at the same size (the
"1 %-selective filter ≤ 10× unfiltered" target).
"""

import json
import os
import sys


def fmt(ns: float) -> str:
    if ns >= 1e9:
        return f"{ns / 1e9:,.2f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:,.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:,.2f} µs"
    return f"{ns:,.0f} ns"


def main() -> int:
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(os.path.dirname(__file__), "..", "target")), "criterion")
    rows = []
    for d, _dirs, files in os.walk(root):
        if os.path.basename(d) != "new" or "benchmark.json" not in files:
            continue
        b = json.load(open(os.path.join(d, "benchmark.json")))
        e = json.load(open(os.path.join(d, "estimates.json")))
        rows.append((b["group_id"], b["function_id"] or "", b["value_str"] or "",
                     e["median"]["point_estimate"], e["median"]["confidence_interval"]["lower_bound"],
                     e["median"]["confidence_interval"]["upper_bound"], b.get("throughput")))
    rows.sort()
    by = {(g, f, v): m for g, f, v, m, *_ in rows}
    print("| group | benchmark | median | 95 % CI of the median | brute ÷ index | note |")
    print("|---|---|---:|---|---:|---|")
    for g, f, v, med, lo, hi, tp in rows:
        name = "/".join(x for x in (f, v) if x)
        ratio = ""
        for brute in ("brute", "brute_sampled"):
            if f == "rtree" and (g, brute, v) in by:
                ratio = f"{by[(g, brute, v)] / med:,.0f}×"
        note = ""
        if g.startswith("nearest_filtered") and f == "rtree" and v != "none" and (g, "rtree", "none") in by:
            note = f"{med / by[(g, 'rtree', 'none')]:.2f}× unfiltered"
        if tp and "Elements" in tp:
            note = f"{tp['Elements'] / (med / 1e9):,.0f} stations/s"
        if f == "brute_sampled":
            note = "scan of a stride of the stations, time × stride"
        print(f"| {g} | {name} | {fmt(med)} | {fmt(lo)} – {fmt(hi)} | {ratio} | {note} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
