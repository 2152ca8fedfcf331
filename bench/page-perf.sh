#!/usr/bin/env bash
# The rider page's speed budget, measured in headless Chromium (run by hand, not in CI):
# page weight ≤ 250 KB gzip and first list ≤ 1.5 s on emulated Fast 3G with a 4× CPU slowdown.
#   bench/page-perf.sh [path/to/yizhan]     (default: target/release/yizhan, built if missing)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=${1:-target/release/yizhan}
[ -x "$BIN" ] || cargo build --release --quiet
cd tests/browser
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund
# run.sh starts the server and runs every *.test.mjs; run only the perf file through it
YZ_PERF_STRICT=1 YZ_TEST_FILES=perf.test.mjs ./run.sh "../../$BIN"
