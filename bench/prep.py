#!/usr/bin/env python3
"""Inputs for bench/compare.sh, from the seeded generator scripts/gen_nationwide.py (standard library only).

    python3 bench/prep.py points N OUT.txt [--seed S]   # N query points, "lon lat" per line
    python3 bench/prep.py tsv N OUT.tsv [--seed S]      # the N stations gen_nationwide.py writes for that seed:
                                                        # id \t lon \t lat \t amenity bitmask (bit i = AMENITIES[i])

Query points are drawn from the same city-weighted distribution as the stations (a different seed), so they
fall where riders are. The TSV feeds Redis (GEOADD) and PostGIS (COPY) with exactly the stations that the
GeoJSON uploaded to yizhan has, since both come from gen_nationwide.stations(N, seed).
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import gen_nationwide  # noqa: E402

# The order of yizhan's Amenity::ALL (bit i); discount_meal is bit 9 (512).
AMENITIES = ("water", "charging", "rest", "heating", "cooling", "medicine", "microwave", "toilet", "wifi",
             "discount_meal")
BIT = {k: 1 << i for i, k in enumerate(AMENITIES)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=("points", "tsv"))
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    tmp = a.out + ".part"
    with open(tmp, "w", encoding="utf-8") as out:
        rows = []
        for fid, lng, lat, props in gen_nationwide.stations(a.n, a.seed):
            if a.what == "points":
                rows.append(f"{lng!r} {lat!r}\n")
            else:
                mask = sum(BIT[k] for k in props["amenities"])
                rows.append(f"{fid}\t{lng!r}\t{lat!r}\t{mask}\n")
            if len(rows) >= 10000:
                out.write("".join(rows))
                rows.clear()
        out.write("".join(rows))
    os.replace(tmp, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
