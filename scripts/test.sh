#!/usr/bin/env bash
# Runs every test of Grid Atlas: Rust unit, integration and doc tests (PostGIS and GDAL included)
# and, once the web map exists, its browser tests. Installs what is missing (Debian packages as
# root) and starts a throwaway PostGIS cluster, so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v ogrinfo >/dev/null || need_apt+=(gdal-bin)
# Prints are set in Noto Sans CJK and read back with poppler's pdftotext/pdftoppm.
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need_apt+=(fonts-noto-cjk)
command -v pdftoppm >/dev/null || need_apt+=(poppler-utils)
if [ -f web/package.json ] && [ ! -x /usr/bin/chromium ]; then need_apt+=(chromium); fi
if [ -f web/package.json ] && ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then need_apt+=(fonts-wqy-microhei); fi
[ -f /usr/share/postgresql/15/extension/postgis.control ] || need_apt+=(postgresql-15 postgresql-15-postgis-3)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "please install: ${need_apt[*]}" >&2; exit 1; fi
  echo "installing ${need_apt[*]} ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${need_apt[@]}" >&2
fi
command -v cargo-nextest >/dev/null || cargo install cargo-nextest --locked
# The independent OpenAPI validator the API tests run the server's document through.
python3 -c "import openapi_spec_validator" 2>/dev/null || python3 -m pip install --quiet openapi-spec-validator
python3 -c "import networkx, pyproj" 2>/dev/null || python3 -m pip install --quiet networkx==3.6.1 pyproj==3.7.2
# The protomaps reference reader the tile-archive test reads PMTiles with.
python3 -c "import pmtiles" 2>/dev/null || python3 -m pip install --quiet pmtiles==3.8.1

eval "$(scripts/postgis-cluster.sh start)"
export GRIDATLAS_TEST_PG GRIDATLAS_TEST_PG_REPLICA

# One feature set throughout, so the doc tests and the browser tests reuse what nextest built.
FEATURES=(--features gridatlas-server/fuzzing)
cargo nextest run --workspace "${FEATURES[@]}" --no-fail-fast
cargo test --workspace --doc "${FEATURES[@]}"

# Browser tests: the built web map against the debug server, in Debian's headless Chromium.
if [ -f web/package.json ]; then
  cargo build -p gridatlas-server "${FEATURES[@]}"
  (cd web && npm ci --no-audit --no-fund && npm run build && GRIDATLAS_BIN="$PWD/../target/debug/gridatlas" npm test)
fi
