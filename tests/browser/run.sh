#!/usr/bin/env bash
# Browser tests of the rider page against a real yizhan binary.
# Usage: tests/browser/run.sh path/to/yizhan
# Starts `yizhan serve` on a free 127.0.0.1 port with a fresh data dir, waits for /healthz,
# runs `node --test` (Debian's /usr/bin/chromium via playwright-core), stops the server and
# exits with the tests' status.
set -euo pipefail

BIN=${1:?usage: tests/browser/run.sh path/to/yizhan}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$HERE"

if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM:-}" ]; then
  echo "run.sh: /usr/bin/chromium is missing (apt-get install -y chromium)" >&2
  exit 2
fi
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/jsqr ] || [ ! -d node_modules/pngjs ] \
  || [ ! -d node_modules/axe-core ] || [ ! -d node_modules/lighthouse ] || [ ! -d node_modules/chrome-launcher ]; then
  npm ci --no-audit --no-fund
fi

PORT=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
DATA_DIR=$(mktemp -d)
LOG=$(mktemp)
YIZHAN_ADMIN_TOKEN=test-token "$BIN" serve --addr "127.0.0.1:$PORT" --data-dir "$DATA_DIR" >"$LOG" 2>&1 &
SERVER_PID=$!
cleanup() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT

BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 150); do
  if node -e "fetch('$BASE/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" 2>/dev/null; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "run.sh: yizhan exited early:" >&2; cat "$LOG" >&2; exit 1
  fi
  sleep 0.2
done
if ! node -e "fetch('$BASE/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; then
  echo "run.sh: $BASE/healthz never answered:" >&2; cat "$LOG" >&2; exit 1
fi

set +e
# YZ_TEST_FILES narrows the run (e.g. bench/page-perf.sh runs perf.test.mjs alone).
YZ_BASE_URL="$BASE" node --test --test-concurrency=1 ${YZ_TEST_FILES:-./*.test.mjs}
STATUS=$?
set -e
if [ "$STATUS" -ne 0 ]; then echo "--- server log ---" >&2; tail -n 50 "$LOG" >&2; fi
rm -f "$LOG"
exit "$STATUS"
