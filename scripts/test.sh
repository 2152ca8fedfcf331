#!/usr/bin/env bash
# The one test command: installs what it needs, then runs every check and test.
#   scripts/test.sh            everything (lint, unit/property/integration tests, browser tests, contract check)
#   SKIP_BROWSER=1 scripts/test.sh   without the headless-Chromium tests
# The PostgreSQL store tests get a throwaway cluster (scripts/pg-cluster.sh) through YIZHAN_TEST_DATABASE_URL;
# it is destroyed when the script exits, on failure too.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR=never

step() { printf '\n=== %s\n' "$*"; }

need_apt=()
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
command -v ogr2ogr >/dev/null 2>&1 || need_apt+=(gdal-bin)
if [ -z "${SKIP_BROWSER:-}" ] && [ ! -x /usr/bin/chromium ]; then need_apt+=(chromium); fi
# a CJK font, or the page's Chinese renders as boxes in the screenshots (tests/browser/a11y-screenshots.mjs)
if [ -z "${SKIP_BROWSER:-}" ] && ! fc-list :lang=zh 2>/dev/null | grep -q .; then need_apt+=(fontconfig fonts-wqy-zenhei); fi
# and an emoji font, or the page's icons (💧 🔌 🚶) render as boxes there
if [ -z "${SKIP_BROWSER:-}" ] && ! fc-list 2>/dev/null | grep -qi emoji; then need_apt+=(fonts-noto-color-emoji); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  step "installing ${need_apt[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt >/dev/null 2>&1 || true

step "format and lints"
cargo fmt --check
cargo clippy --release --all-targets --quiet -- -D warnings

step "layout: module imports, no cycles, file and function sizes (docs/ARCHITECTURE.md)"
python3 scripts/check_layout.py

step "sample data is reproducible from its generator"
python3 scripts/gen_sample.py --check

step "throwaway PostgreSQL cluster for the store tests (scripts/pg-cluster.sh; removed on exit)"
# Installs Debian's PostgreSQL if needed; never a system service. Its URL is YIZHAN_TEST_DATABASE_URL for every
# step below. The directory must be traversable by the cluster's owner (`postgres` when run as root): mktemp's is 0700.
pg_tmp=$(mktemp -d /tmp/yizhan-test-pg.XXXXXX)
chmod 0755 "$pg_tmp"
destroy_pg() { scripts/pg-cluster.sh destroy "$pg_tmp/pg" >/dev/null 2>&1 || true; rm -rf "$pg_tmp"; }
trap destroy_pg EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
YIZHAN_TEST_DATABASE_URL=$(scripts/pg-cluster.sh start "$pg_tmp/pg")
export YIZHAN_TEST_DATABASE_URL
echo "YIZHAN_TEST_DATABASE_URL=$YIZHAN_TEST_DATABASE_URL"

step "unit, property and HTTP integration tests"
cargo build --release --quiet
cargo test --release --quiet 2>&1 | tee target/cargo-test.log
grep -q "test result" target/cargo-test.log

step "OpenAPI document: openapi-spec-validator + live responses against the spec"
tests/openapi/validate.sh target/release/yizhan

step "OGC API – Features read by GDAL (ogrinfo, ogr2ogr to a GeoPackage)"
tests/ogc/gdal.sh target/release/yizhan

step "station page: schema.org JSON-LD type-checked against schema-dts (npm)"
tests/station_page/validate.sh target/release/yizhan

if [ -z "${SKIP_BROWSER:-}" ]; then
  step "browser tests (headless Chromium)"
  tests/browser/run.sh target/release/yizhan
fi

if [ -f ../shared/contract-check.py ]; then
  step "contract smoke check (../shared/contract-check.py)"
  python3 ../shared/contract-check.py .
fi
step "all tests passed"
