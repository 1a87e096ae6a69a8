#!/usr/bin/env bash
# Serves the demo district (龙马潭区) on the embedded GeoPackage store at http://127.0.0.1:8080/.
# Builds everything first; creates the demo store on the first run (target/demo/demo.gpkg).
#   GRIDATLAS_LISTEN=0.0.0.0:8080 scripts/run-demo.sh     # listen elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f web/package.json ]; then
  (cd web && npm ci --no-audit --no-fund && npm run build)
fi
cargo build --release -p gridatlas-server
store=target/demo/demo.gpkg
mkdir -p target/demo
if [ ! -f "$store" ]; then
  target/release/gridatlas demo --store "$store"
fi
exec target/release/gridatlas serve --store "$store" --web-dir web/dist "$@"
