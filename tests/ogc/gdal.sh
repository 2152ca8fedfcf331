#!/usr/bin/env bash
# GDAL reads the OGC API – Features endpoint: the feature count ogrinfo reports equals the dataset's, and a
# GeoPackage copied with ogr2ogr holds the same stations (ids, names, coordinates to 1e-7) as /api/v1/dataset.
#   tests/ogc/gdal.sh target/release/yizhan
# Needs Debian's gdal-bin (ogrinfo, ogr2ogr) and python3 (standard library only). Starts the binary on a free
# 127.0.0.1 port with a temporary data directory (seeded with the bundled sample), stops it at the end.
set -euo pipefail

BIN=${1:?usage: tests/ogc/gdal.sh BINARY}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ -x "$BIN" ] || { echo "not an executable: $BIN" >&2; exit 1; }
command -v ogrinfo >/dev/null || { echo "ogrinfo not found: apt-get install gdal-bin" >&2; exit 1; }

WORK=$(mktemp -d)
PID=
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

up=
for attempt in 1 2 3; do
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  "$BIN" serve --addr "127.0.0.1:$PORT" --data-dir "$WORK/data" >"$WORK/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do
    kill -0 "$PID" 2>/dev/null || break
    if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/healthz', timeout=1)" 2>/dev/null; then up=1; break; fi
    sleep 0.1
  done
  [ -n "$up" ] && break
  kill -KILL "$PID" 2>/dev/null || true
  PID=
done
[ -n "$up" ] || { echo "the server did not start:" >&2; cat "$WORK/server.log" >&2; exit 1; }

URL="OAPIF:http://127.0.0.1:$PORT/ogc"
curl_py() { python3 -c "import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=60).read())" "$1"; }
curl_py "http://127.0.0.1:$PORT/api/v1/dataset" >"$WORK/dataset.geojson"

ogrinfo -ro -al -so "$URL" stations >"$WORK/ogrinfo.txt"
cat "$WORK/ogrinfo.txt"
# The default page size (10) is what a client gets without asking; the copy uses pages of 1000.
ogr2ogr -f GPKG "$WORK/out.gpkg" "$URL" stations -oo PAGE_SIZE=1000
ogr2ogr -f GeoJSON -lco COORDINATE_PRECISION=15 "$WORK/out.geojson" "$WORK/out.gpkg"

python3 - "$WORK/dataset.geojson" "$WORK/ogrinfo.txt" "$WORK/out.geojson" <<'PY'
import json, re, sys
dataset = json.load(open(sys.argv[1], encoding="utf-8"))["features"]
info = open(sys.argv[2], encoding="utf-8").read()
copied = json.load(open(sys.argv[3], encoding="utf-8"))["features"]
m = re.search(r"Feature Count: (\d+)", info)
assert m, "ogrinfo printed no feature count"
assert int(m.group(1)) == len(dataset), f"ogrinfo counts {m.group(1)}, the dataset has {len(dataset)}"
print(f"ogrinfo: Feature Count {m.group(1)} == {len(dataset)} stations")
want = {f["id"]: f for f in dataset}
got = {}
for f in copied:
    p = f["properties"]
    # GDAL keeps a string feature id as the field `id`.
    fid = p.get("id", f.get("id"))
    assert fid not in got, f"id {fid} twice in the GeoPackage"
    got[fid] = f
assert set(got) == set(want), f"ids differ: {sorted(set(got) ^ set(want))[:5]}"
for fid, w in want.items():
    g = got[fid]
    assert g["properties"]["name"] == w["properties"]["name"], (fid, g["properties"]["name"], w["properties"]["name"])
    for a, b in zip(g["geometry"]["coordinates"], w["geometry"]["coordinates"]):
        assert abs(a - b) <= 1e-7, (fid, g["geometry"]["coordinates"], w["geometry"]["coordinates"])
print(f"ogr2ogr: the GeoPackage holds the {len(got)} stations of /api/v1/dataset (ids, names, coordinates to 1e-7)")
PY
echo "GDAL OK"
