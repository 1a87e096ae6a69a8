#!/usr/bin/env bash
# Tile benchmark (issue 3): the server vs martin (cache disabled) vs raw PostGIS ST_AsMVT on the
# synthetic city of N buildings (default 1,000,000), same tiles at z10/z12/z14/z16, cold and warm.
# Builds martin 1.14.0 into /opt/martin on first use (about 11 minutes) unless MARTIN_BIN is set;
# MARTIN_BIN= (empty) leaves martin out.
#   scripts/bench-tiles.sh [BUILDINGS]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
martin="${MARTIN_BIN-/opt/martin/bin/martin}"
if [ -n "$martin" ] && [ ! -x "$martin" ]; then
  cargo install martin --version 1.14.0 --locked --no-default-features --features postgres,pmtiles --root /opt/martin
fi
cargo build --release -q -p gridatlas-bench
eval "$(scripts/postgis-cluster.sh start)"
db="gridatlas_tiles_$$"
psql -q "$GRIDATLAS_TEST_PG" -c "CREATE DATABASE $db"
trap 'psql -q "$GRIDATLAS_TEST_PG" -c "DROP DATABASE IF EXISTS $db"' EXIT
martin_version="left out"
if [ -n "$martin" ]; then martin_version=$("$martin" --version 2>/dev/null | head -1); fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%F); martin: $martin_version"
target/release/gridatlas-bench tiles --database-url "${GRIDATLAS_TEST_PG%/*}/$db" --scale "$n" ${martin:+--martin "$martin"}
