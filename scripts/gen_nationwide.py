#!/usr/bin/env python3
"""Generate N SYNTHETIC stations across mainland China, for benchmarks.

    python3 scripts/gen_nationwide.py N OUT.geojson [--seed S] [--format geojson|csv]

Stations are clustered around ~40 big cities (weighted by rough urban
population), with the same properties as data/stations.geojson (see
data/README.md); ids are ``cn-<7 digits>`` in ascending order. ``discount_meal``
is deliberately rare (about 1 % of stations) so that a filtered nearest query
on it is selective. Everything is fictional.

Standard library only; deterministic for a given (N, seed, format); writes the
output as it goes (one feature per line), so 1,000,000 stations take well
under a minute and little memory. The output is not committed.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
from bisect import bisect_right
from itertools import accumulate

DEFAULT_SEED = 1

# (city, lng, lat, weight ~ urban population in millions, core sigma km)
CITIES = (
    ("上海市", 121.473, 31.230, 24.9, 9), ("北京市", 116.404, 39.915, 21.9, 9),
    ("重庆市", 106.551, 29.563, 16.0, 8), ("成都市", 104.066, 30.657, 20.9, 8),
    ("广州市", 113.264, 23.129, 18.7, 8), ("深圳市", 114.045, 22.640, 17.6, 7),
    ("天津市", 117.200, 39.133, 13.9, 7), ("西安市", 108.940, 34.341, 12.9, 6),
    ("苏州市", 120.585, 31.299, 12.7, 6), ("郑州市", 113.625, 34.747, 12.6, 6),
    ("武汉市", 114.305, 30.593, 12.3, 7), ("杭州市", 120.155, 30.274, 11.9, 6),
    ("石家庄市", 114.515, 38.042, 11.2, 5), ("东莞市", 113.752, 23.021, 10.5, 6),
    ("青岛市", 120.383, 36.067, 10.1, 6), ("沈阳市", 123.432, 41.806, 9.1, 6),
    ("长沙市", 112.939, 28.228, 10.0, 6), ("哈尔滨市", 126.535, 45.803, 10.0, 6),
    ("合肥市", 117.227, 31.821, 9.4, 5), ("南京市", 118.797, 32.060, 9.3, 6),
    ("济南市", 117.121, 36.651, 9.2, 5), ("佛山市", 113.122, 23.021, 9.5, 6),
    ("昆明市", 102.833, 24.880, 8.5, 5), ("宁波市", 121.550, 29.875, 9.4, 5),
    ("福州市", 119.296, 26.075, 8.3, 5), ("厦门市", 118.089, 24.480, 5.2, 4),
    ("长春市", 125.324, 43.817, 9.1, 5), ("南宁市", 108.367, 22.817, 8.7, 5),
    ("大连市", 121.615, 38.914, 7.5, 5), ("太原市", 112.549, 37.871, 5.3, 4),
    ("乌鲁木齐市", 87.617, 43.826, 4.1, 4), ("贵阳市", 106.630, 26.647, 6.0, 4),
    ("南昌市", 115.858, 28.683, 6.3, 4), ("兰州市", 103.834, 36.061, 4.4, 4),
    ("无锡市", 120.312, 31.491, 7.5, 5), ("徐州市", 117.285, 34.205, 9.1, 4),
    ("温州市", 120.699, 27.994, 9.6, 4), ("呼和浩特市", 111.749, 40.842, 3.4, 4),
    ("银川市", 106.231, 38.487, 2.9, 3), ("西宁市", 101.778, 36.617, 2.5, 3),
    ("海口市", 110.320, 20.044, 2.9, 3), ("拉萨市", 91.132, 29.660, 0.9, 2),
)

# Telephone area codes of the cities above.
AREA_CODES = {
    "上海市": "021",
    "北京市": "010",
    "重庆市": "023",
    "成都市": "028",
    "广州市": "020",
    "深圳市": "0755",
    "天津市": "022",
    "西安市": "029",
    "苏州市": "0512",
    "郑州市": "0371",
    "武汉市": "027",
    "杭州市": "0571",
    "石家庄市": "0311",
    "东莞市": "0769",
    "青岛市": "0532",
    "沈阳市": "024",
    "长沙市": "0731",
    "哈尔滨市": "0451",
    "合肥市": "0551",
    "南京市": "025",
    "济南市": "0531",
    "佛山市": "0757",
    "昆明市": "0871",
    "宁波市": "0574",
    "福州市": "0591",
    "厦门市": "0592",
    "长春市": "0431",
    "南宁市": "0771",
    "大连市": "0411",
    "太原市": "0351",
    "乌鲁木齐市": "0991",
    "贵阳市": "0851",
    "南昌市": "0791",
    "兰州市": "0931",
    "无锡市": "0510",
    "徐州市": "0516",
    "温州市": "0577",
    "呼和浩特市": "0471",
    "银川市": "0951",
    "西宁市": "0971",
    "海口市": "0898",
    "拉萨市": "0891",
}

AREAS = ("城东", "城西", "城南", "城北", "中心", "新区", "高新", "开发区", "火车站", "滨江",
         "大学城", "老城", "科技园", "南湖", "北湖", "东站", "西站", "港口", "商务区", "工业园")
ROADS = ("人民路", "解放路", "中山路", "建设路", "和平路", "胜利路", "新华路", "文化路", "长江路",
         "黄河路", "朝阳路", "复兴路", "光明路", "幸福路", "团结路", "友谊路", "青年路", "东风路",
         "工业大道", "滨河路", "花园路", "学府路", "体育路", "民主路")
SUBS = ("街道", "街道", "街道", "镇")
BRANDS = {
    "bank": ("京华银行", "燕都银行", "泰和银行", "同心银行", "云岫银行"),
    "restaurant": ("老味面馆", "福满楼快餐", "家和小厨", "禾香饺子馆", "暖胃包子铺"),
    "supermarket": ("惠邻超市", "佳和便利店", "鲜到家超市", "邻里生鲜"),
    "property_agency": ("安居房产", "居安地产", "邻家房产", "和屋不动产"),
    "gas_station": ("顺达加油站", "畅行加油站", "通衢能源加油站"),
    "post_office": ("鸿雁邮局", "驿通邮局", "云笺邮局"),
    "other": ("康宁药房", "畅行汽修", "青藤书屋"),
}
SUFFIX = {"bank": "支行", "restaurant": "店", "supermarket": "店", "property_agency": "店",
          "gas_station": "站", "post_office": "营业所", "other": "店"}

HOST_TYPES = ("bank", "restaurant", "supermarket", "property_agency",
              "gas_station", "post_office", "union_center", "other")
HOST_CUM = list(accumulate((33, 17, 12, 9, 6, 7, 8, 8)))
AMENITY_KEYS = ("water", "charging", "rest", "heating", "cooling",
                "medicine", "microwave", "toilet", "wifi")
AMENITY_P = (0.97, 0.70, 0.96, 0.60, 0.60, 0.40, 0.35, 0.50, 0.45)
# discount_meal only at restaurants: 0.06 * 17 % ~ 1 % of stations.
P_DISCOUNT_MEAL_RESTAURANT = 0.06
P_WORKERS_HOME = 0.037
HOURS = {
    "bank": (("Mo-Fr 09:00-17:00", "Mo-Fr 09:00-17:00; Sa 09:00-12:00", "24/7"), (55, 40, 5)),
    "restaurant": (("Mo-Su 10:00-21:30", "Mo-Su 06:30-21:00", "24/7"), (75, 19, 6)),
    "supermarket": (("Mo-Su 08:00-22:00", "Mo-Su 07:00-23:00", "24/7"), (45, 35, 20)),
    "property_agency": (("Mo-Su 09:00-20:00",), (1,)),
    "gas_station": (("24/7", "Mo-Su 06:00-22:00"), (70, 30)),
    "post_office": (("Mo-Su 08:30-17:00", "Mo-Fr 08:30-17:30; Sa 09:00-16:00"), (60, 40)),
    "union_center": (("Mo-Fr 08:30-17:30", "24/7", "Mo-Su 08:00-20:00"), (52, 40, 8)),
    "other": (("Mo-Su 08:00-20:00", "Mo-Su 09:00-18:00", "24/7"), (50, 38, 12)),
}
HOURS_CUM = {k: (v, list(accumulate(w))) for k, (v, w) in HOURS.items()}
HOME_HOURS = (("Mo-Fr 08:30-17:30", "Mo-Su 09:00-21:00", "24/7"), list(accumulate((50, 25, 25))))

# Mainland China, roughly.
LNG_MIN, LNG_MAX, LAT_MIN, LAT_MAX = 73.5, 135.0, 18.2, 53.5
CSV_HEADER = ("id", "name", "lon", "lat", "kind", "host_type", "address",
              "district", "amenities", "opening_hours", "phone")


def pick(rng: random.Random, values, cum):
    return values[bisect_right(cum, rng.random() * cum[-1])]


def stations(n: int, seed: int):
    """Yield (id, lng, lat, props) for n stations, in id order."""
    rng = random.Random(seed)
    city_cum = list(accumulate(c[3] for c in CITIES))
    kx = [111.320 * math.cos(math.radians(c[2])) for c in CITIES]
    rand, gauss = rng.random, rng.gauss
    for i in range(1, n + 1):
        ci = bisect_right(city_cum, rand() * city_cum[-1])
        city, clng, clat, _w, sigma = CITIES[ci]
        # 65 % in the dense core, the rest in a wider ring of suburbs
        s = sigma if rand() < 0.65 else sigma * 2.5
        while True:
            lng = round(clng + gauss(0.0, s) / kx[ci], 6)
            lat = round(clat + gauss(0.0, s) / 110.574, 6)
            if not (LNG_MIN <= lng <= LNG_MAX and LAT_MIN <= lat <= LAT_MAX):
                continue
            if lat < 22.53 and 113.83 <= lng <= 114.45:  # keep out of Hong Kong (roughly)
                continue
            break
        area = AREAS[int(rand() * len(AREAS))]
        road = ROADS[int(rand() * len(ROADS))]
        sub = area + SUBS[int(rand() * len(SUBS))]
        addr = f"{city}{sub}{road}{1 + int(rand() * 299)}号"
        if rand() < P_WORKERS_HOME:
            kind, host = "workers_home", "union_center"
            name = f"{city}{sub}职工之家"
            amen = [k for k, p in zip(AMENITY_KEYS, AMENITY_P) if rand() < max(p, 0.8)]
            hours = pick(rng, *HOME_HOURS)
        else:
            kind = "station"
            host = HOST_TYPES[bisect_right(HOST_CUM, rand() * HOST_CUM[-1])]
            if host == "union_center":
                name = f"{city[:-1]}{area}工会服务站暖心驿站"
            else:
                brands = BRANDS[host]
                name = f"{brands[int(rand() * len(brands))]}{city[:-1]}{area}{SUFFIX[host]}暖心驿站"
            amen = [k for k, p in zip(AMENITY_KEYS, AMENITY_P) if rand() < p]
            if host == "restaurant" and rand() < P_DISCOUNT_MEAL_RESTAURANT:
                amen.append("discount_meal")
            hours = pick(rng, *HOURS_CUM[host])
        if rand() < 0.05:
            hours = None
        phone = None
        if rand() < 0.85:
            phone = f"{AREA_CODES[city]}-{int(rand() * 80000000) + 20000000}"
        props = {"name": name, "kind": kind, "host_type": host, "address": addr,
                 "district": city, "amenities": amen}
        if hours is not None:
            props["opening_hours"] = hours
        if phone is not None:
            props["phone"] = phone
        yield f"cn-{i:07d}", lng, lat, props


def write_geojson(out, n: int, seed: int) -> None:
    head = {
        "type": "FeatureCollection",
        "name": "yizhan synthetic nationwide benchmark stations",
        "synthetic": True,
        "description": f"SYNTHETIC data generated by scripts/gen_nationwide.py (n {n}, seed {seed}); not real stations.",
        "generator": "scripts/gen_nationwide.py",
        "seed": seed,
    }
    out.write(json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1] + ',"features":[\n')
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    buf = []
    first = True
    for fid, lng, lat, props in stations(n, seed):
        line = ('{"type":"Feature","id":"' + fid + '","geometry":{"type":"Point","coordinates":['
                + repr(lng) + "," + repr(lat) + ']},"properties":' + dumps(props) + "}")
        buf.append(line if first else ",\n" + line)
        first = False
        if len(buf) >= 10000:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))
    out.write("\n]}\n")


def write_csv(out, n: int, seed: int) -> None:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_HEADER)
    rows = []
    for fid, lng, lat, p in stations(n, seed):
        rows.append((fid, p["name"], repr(lng), repr(lat), p["kind"], p["host_type"], p["address"],
                     p["district"], ";".join(p["amenities"]), p.get("opening_hours", ""), p.get("phone", "")))
        if len(rows) >= 10000:
            w.writerows(rows)
            rows.clear()
    w.writerows(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Generate N SYNTHETIC stations across mainland China (benchmarks).")
    ap.add_argument("n", type=int, help="number of stations (1..9999999)")
    ap.add_argument("out", help="output file ('-' for stdout)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    ap.add_argument("--format", choices=("geojson", "csv"), default=None,
                    help="output format (default: from the file extension, else geojson)")
    args = ap.parse_args(argv)
    if not 1 <= args.n <= 9_999_999:
        ap.error("n must be between 1 and 9999999 (ids are cn-<7 digits>)")
    fmt = args.format or ("csv" if args.out.lower().endswith(".csv") else "geojson")
    write = write_csv if fmt == "csv" else write_geojson
    if args.out == "-":
        write(sys.stdout, args.n, args.seed)
    else:
        with open(args.out, "w", encoding="utf-8", newline="") as out:
            write(out, args.n, args.seed)
    print(f"gen_nationwide: wrote {args.n} stations ({fmt}, seed {args.seed}) to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
