#!/usr/bin/env bash
# Coverage benchmark (issue 5): full recompute of every service type on the synthetic city of N
# buildings (default 1,000,000) in the engine vs the equivalent PostGIS KNN queries, same data.
#   scripts/bench-coverage.sh [BUILDINGS]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
cargo build --release -q -p gridatlas-bench
eval "$(scripts/postgis-cluster.sh start)"
db="gridatlas_coverage_$$"
psql -q "$GRIDATLAS_TEST_PG" -c "CREATE DATABASE $db"
trap 'psql -q "$GRIDATLAS_TEST_PG" -c "DROP DATABASE IF EXISTS $db"' EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%F)"
target/release/gridatlas-bench coverage --database-url "${GRIDATLAS_TEST_PG%/*}/$db" --scale "$n"
