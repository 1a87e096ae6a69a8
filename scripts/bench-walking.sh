#!/usr/bin/env bash
# Walking-distance benchmark: on the synthetic city of N buildings (default 1,000,000)
# and its generated ways, the engine's walking network (build, joining, memory) and full walking
# recompute of every service type vs pgRouting on PostGIS and pandana's nearest_pois, same graph,
# same run. Installs pgRouting (Debian) and pandana (PyPI) when missing.
#   scripts/bench-walking.sh [BUILDINGS]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
python="${PYTHON:-python3}"
if [ ! -f /usr/share/postgresql/15/extension/pgrouting.control ]; then
  echo "installing postgresql-15-pgrouting ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql-15-pgrouting >&2
fi
if ! "$python" -c 'import pandana' 2>/dev/null; then
  echo "installing pandana ..." >&2
  "$python" -m pip install -q pandana >&2
fi
cargo build --release -q -p gridatlas-bench
eval "$(scripts/postgis-cluster.sh start)"
db="gridatlas_walking_$$"
psql -q "$GRIDATLAS_TEST_PG" -c "CREATE DATABASE $db"
trap 'psql -q "$GRIDATLAS_TEST_PG" -c "DROP DATABASE IF EXISTS $db"' EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d" " -f1-3 /proc/loadavg); $(date -u +%F)"
target/release/gridatlas-bench walking --database-url "${GRIDATLAS_TEST_PG%/*}/$db" --scale "$n" \
  --pandana scripts/bench_walking_pandana.py --python "$python"
