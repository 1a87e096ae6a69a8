#!/usr/bin/env python3
"""pandana's side of the walking benchmark (`gridatlas-bench walking`, scripts/bench-walking.sh).

    python3 scripts/bench_walking_pandana.py EXPORT_DIR RESULT.json

EXPORT_DIR holds the engine's walking graph as the benchmark wrote it: manifest.json, the nodes
(node_x.f64, node_y.f64: lon/lat), the edges (edge_from.u32, edge_to.u32, edge_length.f64:
metres) and per facility rule k its source nodes (sources_k.u32), all little-endian. The same
graph goes into a pandana Network (twoway, length as impedance); its contraction hierarchy is the
precompute. Per rule, set_pois puts a POI on each source node and nearest_pois(num_pois=1) gives
every node its distance to the nearest, each timed apart. RESULT.json gets the times, the peak
memory and the distances of every manifest["sample_step"]-th node, for the benchmark to compare
with the engine's. pandana's own progress lines go to stderr.
"""

import json
import os
import resource
import sys
import time

import numpy as np
import pandas as pd
import pandana


def main() -> None:
    export, result = sys.argv[1], sys.argv[2]
    # pandana's C++ side prints progress on stdout; keep it apart from the benchmark's report.
    os.dup2(2, 1)
    with open(os.path.join(export, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)

    def read(name: str, dtype: str) -> np.ndarray:
        return np.fromfile(os.path.join(export, name), dtype=dtype)

    x, y = read("node_x.f64", "<f8"), read("node_y.f64", "<f8")
    ids = np.arange(len(x), dtype=np.int64)
    node_x, node_y = pd.Series(x, index=ids), pd.Series(y, index=ids)
    edge_from = pd.Series(read("edge_from.u32", "<u4").astype(np.int64))
    edge_to = pd.Series(read("edge_to.u32", "<u4").astype(np.int64))
    weights = pd.DataFrame({"length": read("edge_length.f64", "<f8")})

    started = time.perf_counter()
    net = pandana.Network(node_x, node_y, edge_from, edge_to, weights, twoway=True)
    build_s = time.perf_counter() - started

    sample = ids[:: manifest["sample_step"]]
    rules = []
    for k, rule in enumerate(manifest["rules"]):
        nodes = read(f"sources_{k}.u32", "<u4").astype(np.int64)
        if len(nodes) == 0:
            rules.append(None)
            continue
        category, cap = f"rule{k}", float(rule["max_distance_m"])
        started = time.perf_counter()
        net.set_pois(category, cap, 1, pd.Series(x[nodes]), pd.Series(y[nodes]))
        set_s = time.perf_counter() - started
        started = time.perf_counter()
        nearest = net.nearest_pois(cap, category, num_pois=1)
        query_s = time.perf_counter() - started
        rules.append(
            {
                "name": rule["name"],
                "set_pois_s": set_s,
                "query_s": query_s,
                "max_distance_m": cap,
                "sample": nearest[1].reindex(sample).astype(float).tolist(),
            }
        )
        del nearest

    out = {
        "pandana": pandana.__version__,
        "cores": os.cpu_count(),
        "build_s": build_s,
        "rules": rules,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    with open(result, "w", encoding="utf-8") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
