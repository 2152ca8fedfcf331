#!/usr/bin/env bash
# Validates the schema.org JSON-LD of the station page /s/{id} against schema.org's vocabulary: the JSON-LD of a few
# stations (and of one with every optional field) is written as a TypeScript value of type
# WithContext<CivicStructure> from the npm package schema-dts (Google's schema.org type definitions) and compiled with
# tsc --strict, which rejects any property that schema.org does not define for the type, a misspelt @type, or a value
# of the wrong type (a string latitude, say).
#   tests/station_page/validate.sh target/release/yizhan
# Installs the pinned packages of package.json into target/station-page-node (npm), starts the binary on a free
# 127.0.0.1 port with a temporary data directory (the bundled sample), stops it at the end.
set -euo pipefail

BIN=${1:?usage: tests/station_page/validate.sh BINARY}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
NODE_DIR="$ROOT/target/station-page-node"
if [ ! -x "$NODE_DIR/node_modules/.bin/tsc" ] || ! cmp -s "$HERE/package.json" "$NODE_DIR/package.json"; then
  mkdir -p "$NODE_DIR"
  cp "$HERE/package.json" "$NODE_DIR/package.json"
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --silent >&2)
fi

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

# The JSON-LD of stations spread over the sample (every kind of optional field shows up among them), in both languages.
python3 - "http://127.0.0.1:$PORT" "$WORK/ld.ts" <<'PY'
import json, sys, urllib.parse, urllib.request
base, out = sys.argv[1], sys.argv[2]
page = json.load(urllib.request.urlopen(f"{base}/api/v1/stations?limit=1000"))
ids = [f["id"] for f in page["features"]][::50]
lines = ['import type { WithContext, CivicStructure } from "schema-dts";']
for n, sid in enumerate(ids):
    for lang in ("zh", "en"):
        html = urllib.request.urlopen(f"{base}/s/{urllib.parse.quote(sid, safe='')}?lang={lang}").read().decode()
        start = html.index('<script type="application/ld+json">') + len('<script type="application/ld+json">')
        ld = json.loads(html[start:html.index("</script>", start)])
        lines.append(f"export const s{n}_{lang}: WithContext<CivicStructure> = {json.dumps(ld, ensure_ascii=False)};")
open(out, "w", encoding="utf-8").write("\n".join(lines) + "\n")
print(f"{len(lines) - 1} JSON-LD documents from {len(ids)} stations")
PY
cd "$WORK"
ln -s "$NODE_DIR/node_modules" node_modules
"$NODE_DIR/node_modules/.bin/tsc" --noEmit --strict --target es2020 --moduleResolution node ld.ts
echo "schema.org JSON-LD OK (schema-dts $(node -p "require('$NODE_DIR/node_modules/schema-dts/package.json').version"))"
