#!/usr/bin/env bash
# Validates the served /openapi.json with an independent validator and checks the server's answers against it.
#   tests/openapi/validate.sh target/release/yizhan
# Creates target/openapi-venv (python3 -m venv + pinned openapi-spec-validator, which brings jsonschema), starts the
# binary on a free 127.0.0.1 port with a temporary data dir and an admin token, runs tests/openapi/check.py, stops
# the server. Exit status non-zero on any failure; the last line is `N passed, M failed`.
set -euo pipefail

BIN=${1:?usage: tests/openapi/validate.sh BINARY}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ -x "$BIN" ] || { echo "not an executable: $BIN" >&2; echo "0 passed, 1 failed"; exit 1; }

# Pinned: the validator's rules change between releases; bump deliberately.
VALIDATOR_VERSION=0.9.0
VENV="$ROOT/target/openapi-venv"
PY="$VENV/bin/python"
if ! "$PY" -c "import importlib.metadata as m, sys; sys.exit(m.version('openapi-spec-validator') != '$VALIDATOR_VERSION')" 2>/dev/null; then
  echo "setting up $VENV (openapi-spec-validator==$VALIDATOR_VERSION)" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "openapi-spec-validator==$VALIDATOR_VERSION" >&2
fi

DATA=$(mktemp -d)
LOG="$DATA/server.log"
PID=
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"
}
trap cleanup EXIT

# A free port: bind port 0, read it, release it (a race with another process is possible but harmless: we retry).
TOKEN="openapi-check-$$-$RANDOM"
for attempt in 1 2 3; do
  PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  YIZHAN_ADMIN_TOKEN="$TOKEN" "$BIN" serve --addr "127.0.0.1:$PORT" --data-dir "$DATA/data" >"$LOG" 2>&1 &
  PID=$!
  up=
  for _ in $(seq 100); do
    if ! kill -0 "$PID" 2>/dev/null; then break; fi
    if "$PY" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$PORT/healthz', timeout=1)" 2>/dev/null; then up=1; break; fi
    sleep 0.1
  done
  [ -n "$up" ] && break
  kill -KILL "$PID" 2>/dev/null || true
  PID=
done
if [ -z "${up:-}" ]; then
  echo "the server did not start; its log:" >&2
  cat "$LOG" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

set +e
"$PY" "$HERE/check.py" "http://127.0.0.1:$PORT" "$TOKEN" | tee "$DATA/out"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
  echo "--- server log (last 30 lines)"
  tail -n 30 "$LOG"
  # The summary stays the last line.
  tail -n 1 "$DATA/out" | grep -E '^[0-9]+ passed, [0-9]+ failed' || echo "0 passed, 1 failed"
fi
exit "$rc"
