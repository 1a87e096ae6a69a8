#!/usr/bin/env bash
# Grid-planning benchmark (issue 6): automatic partition under the 150/300 cap and max-p
# joint-management clusters on square lattices and real polygon sets of 400, 2,500 and 10,000
# units, against spopt's MaxPHeuristic (clusters) and GerryChain's recursive_tree_part (cap
# variant) on the same exported instances, printed side by side as ratios.
#   scripts/bench-partition.sh [PEER_TIMEOUT_SECONDS]   (default 300 per peer and instance)
set -euo pipefail
cd "$(dirname "$0")/.."
timeout="${1:-300}"
out=target/partition_bench
python3 -c "import spopt, libpysal, geopandas, gerrychain" 2>/dev/null ||
  python3 -m pip install --quiet spopt libpysal geopandas gerrychain
cargo build --release -q -p gridatlas-engine --example partition_bench
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%F)"
target/release/examples/partition_bench --out "$out"
python3 engine/examples/partition_peers.py --dir "$out" --timeout "$timeout"
