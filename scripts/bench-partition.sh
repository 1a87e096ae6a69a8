#!/usr/bin/env bash
# Grid-planning benchmark (issues 6 and 11): automatic partition under the 150/300 cap and max-p
# joint-management clusters.
# - Peers: square lattices (8–40 households a unit) and real polygon sets of 400, 2,500 and 10,000
#   units against spopt's MaxPHeuristic (clusters) and GerryChain's recursive_tree_part (cap
#   variant) on the same exported instances, printed side by side as ratios.
# - Optimum: instances of compound-sized units (20–300 households, compounds above the cap split
#   along their buildings: lattices, single communities, the demo's 龙南社区 and 奥体社区) and the
#   polygon sets, the engine against the optimum proven by CP-SAT (instances of up to 100 units)
#   or else the best known (CP-SAT's best plan, the best of the engine's long runs).
#   scripts/bench-partition.sh [PEER_TIMEOUT_SECONDS] [CPSAT_SECONDS] [LONG_RUNS]
#   (defaults 300 per peer and instance, 120 per CP-SAT instance, 8 long engine runs per instance)
set -euo pipefail
cd "$(dirname "$0")/.."
timeout="${1:-300}"
cpsat="${2:-120}"
runs="${3:-8}"
out=target/partition_bench
python3 -c "import spopt, libpysal, geopandas, gerrychain" 2>/dev/null ||
  python3 -m pip install --quiet spopt libpysal geopandas gerrychain
python3 -c "import ortools" 2>/dev/null || python3 -m pip install --quiet ortools
cargo build --release -q -p gridatlas-engine --example partition_bench
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%F)"
target/release/examples/partition_bench --out "$out" --best-of "$runs"
python3 engine/examples/partition_peers.py --dir "$out" --timeout "$timeout" \
  lattice_400 lattice_2500 lattice_10000 polygons_400 polygons_2500 polygons_10000
# CP-SAT on every instance of at most 100 units.
small=$(awk -F, 'NR > 1 && $2 <= 100 { print $1 }' "$out/results.csv")
# shellcheck disable=SC2086
python3 engine/examples/partition_exact.py --dir "$out" --time-limit "$cpsat" $small
