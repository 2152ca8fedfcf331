#!/usr/bin/env bash
# Lighthouse mobile scores (performance, accessibility, best practices, SEO) of the rider page `/` and of one
# station page `/s/{id}` of a running server, with the failing audits and the paint metrics: the figures for
# a closing note. Uses tests/browser's lighthouse + chrome-launcher (installed here if missing) and Debian's
# /usr/bin/chromium (CHROMIUM=… to change). Lighthouse's defaults: Moto G-class mobile emulation, simulated
# slow 4G; a release build gives the figures riders see (debug builds serve static/ from disk, uncompressed).
#
#   bench/lighthouse.sh http://127.0.0.1:8080 [station-id]     # default id: the station nearest Tiananmen
#   RUNS=3 bench/lighthouse.sh …                               # repeat (performance is noisy)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE=${1:?usage: bench/lighthouse.sh BASE_URL [station-id]}
BASE=${BASE%/}
ID=${2:-}
RUNS=${RUNS:-1}
cd "$ROOT/tests/browser"
if [ ! -d node_modules/lighthouse ] || [ ! -d node_modules/chrome-launcher ]; then npm ci --no-audit --no-fund; fi
if [ -z "$ID" ]; then
  ID=$(node -e "fetch('$BASE/api/v1/stations/nearest?lat=39.9087&lon=116.3975&k=1').then(r=>r.json()).then(f=>console.log(f.features[0].id))")
fi
ENC=$(node -e "console.log(encodeURIComponent(process.argv[1]))" "$ID")
for _ in $(seq 1 "$RUNS"); do
  node lighthouse.mjs "$BASE/" "$BASE/s/$ENC"
done
