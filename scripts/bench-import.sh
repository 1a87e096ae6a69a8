#!/usr/bin/env bash
# Import benchmark (issues 2, 16): generates the synthetic city of N buildings (default 1,000,000)
# and imports it into the embedded GeoPackage and into PostGIS, each in its own process, printing
# time and peak memory (VmHWM) for each; then GDAL's ogr2ogr loads that same GeoPackage into a
# fresh database of the same PostGIS, timed with its peak memory, for comparison. Needs a release
# build and the test PostGIS cluster.
#   scripts/bench-import.sh [BUILDINGS]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
cargo build --release -q -p gridatlas-bench
bench="${CARGO_TARGET_DIR:-target}/release/gridatlas-bench"
eval "$(scripts/postgis-cluster.sh start)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="gridatlas_bench_$$"
psql -q "$GRIDATLAS_TEST_PG" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%F)"
"$bench" import --store "$work/bench.gpkg" --scale "$n"
ls -l "$work/bench.gpkg" | awk '{printf "geopackage file: %.0f MiB\n", $5/1048576}'
DATABASE_URL="${GRIDATLAS_TEST_PG%/*}/$db" "$bench" import --scale "$n"
psql -q "$GRIDATLAS_TEST_PG" -c "DROP DATABASE $db"
# The peer: ogr2ogr, every layer of the same GeoPackage into an empty PostGIS database.
peer="gridatlas_ogr_$$"
psql -q "$GRIDATLAS_TEST_PG" -c "DROP DATABASE IF EXISTS $peer" -c "CREATE DATABASE $peer"
psql -q "${GRIDATLAS_TEST_PG%/*}/$peer" -c "CREATE EXTENSION postgis"
pg="${GRIDATLAS_TEST_PG#postgres://}"; user="${pg%%@*}"; hostport="${pg#*@}"; hostport="${hostport%%/*}"
/usr/bin/time -f "ogr2ogr into PostGIS: %e s, peak memory %M KiB" \
  ogr2ogr -f PostgreSQL "PG:host=${hostport%:*} port=${hostport#*:} user=$user dbname=$peer" "$work/bench.gpkg" \
  -lco SPATIAL_INDEX=GIST --config PG_USE_COPY YES -gt 65536
psql -q "$GRIDATLAS_TEST_PG" -c "DROP DATABASE $peer"
