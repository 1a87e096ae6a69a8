#!/usr/bin/env python3
"""Peer benchmark for the joint-management clusters: PySAL spopt's MaxPHeuristic on the same
instances and floor as `cargo run -p gridatlas-engine --release --example partition_bench`.

The Rust example exports each instance as `<dir>/<name>.units.csv` (id,households,cap,x,y)
and `<dir>/<name>.adj.csv` (a,b: the adjacency of the tessellation or lattice). This script
builds a libpysal W from that adjacency, a GeoDataFrame of the units' points, and runs
MaxPHeuristic with `households` as both the threshold variable (floor) and the attribute,
with spopt's defaults (top_n 2, 99 construction iterations, 10 simulated-annealing rounds).
It prints the time and the number of regions, and checks every region against the floor and
for contiguity. `--construction-only` runs just spopt's construction phase (which fixes p; the
simulated annealing that follows only lowers heterogeneity), through its private
`spopt.region.maxp._construction_phase`, for instances where the full heuristic takes hours.

    pip install spopt libpysal geopandas
    python3 engine/examples/spopt_peer.py [--dir target/partition_bench] [--floor 1000] [names…]
"""

import argparse
import csv
import os
import signal
import sys
import time


def load(directory, name):
    with open(os.path.join(directory, f"{name}.units.csv"), newline="") as f:
        units = list(csv.DictReader(f))
    neighbours = {i: [] for i in range(len(units))}
    with open(os.path.join(directory, f"{name}.adj.csv"), newline="") as f:
        for row in csv.DictReader(f):
            a, b = int(row["a"]), int(row["b"])
            neighbours[a].append(b)
            neighbours[b].append(a)
    return units, neighbours


def contiguous(members, neighbours):
    members = set(members)
    start = next(iter(members))
    seen, stack = {start}, [start]
    while stack:
        u = stack.pop()
        for v in neighbours[u]:
            if v in members and v not in seen:
                seen.add(v)
                stack.append(v)
    return len(seen) == len(members)


class Timeout(Exception):
    pass


def construction_only(gdf, w, floor, top_n):
    """spopt's max-p construction phase as `maxp` runs it (99 iterations), without the
    simulated annealing: the labels of the first best solution and p."""
    import numpy as np
    from scipy.spatial.distance import pdist, squareform
    from spopt.region import maxp as m

    gdf, w = m.modify_components(gdf, w, "households", floor, policy="single")
    attr = np.atleast_2d(gdf[["households"]].values)
    threshold_array = gdf["households"].values
    distance_matrix = squareform(pdist(attr, metric="cityblock"))
    arr = np.arange(attr.shape[0])
    max_p, rl_list = m._construction_phase(
        arr, attr, threshold_array, distance_matrix, w, floor, top_n, m.ITERCONSTRUCT
    )
    return rl_list[0][0], max_p


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="instances (default: every exported one)")
    ap.add_argument("--dir", default="target/partition_bench")
    ap.add_argument("--floor", type=float, default=1000.0, help="households per region at least")
    ap.add_argument("--top-n", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per instance")
    ap.add_argument("--construction-only", action="store_true", help="time spopt's construction phase only")
    args = ap.parse_args()

    import geopandas as gpd
    import libpysal
    from shapely.geometry import Point
    from spopt.region import MaxPHeuristic
    import spopt

    names = args.names or sorted(
        f[: -len(".units.csv")] for f in os.listdir(args.dir) if f.endswith(".units.csv")
    )
    print(f"spopt {spopt.__version__} MaxPHeuristic, floor {args.floor:g} households, top_n {args.top_n}")

    def on_alarm(signum, frame):
        raise Timeout()

    signal.signal(signal.SIGALRM, on_alarm)
    for name in names:
        units, neighbours = load(args.dir, name)
        households = [float(u["households"]) for u in units]
        gdf = gpd.GeoDataFrame(
            {"households": households},
            geometry=[Point(float(u["x"]), float(u["y"])) for u in units],
        )
        w = libpysal.weights.W(neighbours, silence_warnings=True)
        model = MaxPHeuristic(gdf, w, ["households"], "households", args.floor, args.top_n)
        signal.alarm(args.timeout)
        t = time.perf_counter()
        try:
            if args.construction_only:
                labels, p = construction_only(gdf, w, args.floor, args.top_n)
            else:
                model.solve()
                labels, p = model.labels_, model.p
        except Timeout:
            print(f"{name:<16} units {len(units):>6}  spopt timed out after {args.timeout} s")
            sys.stdout.flush()
            continue
        finally:
            signal.alarm(0)
        secs = time.perf_counter() - t
        regions = {}
        for i, label in enumerate(labels):
            regions.setdefault(int(label), []).append(i)
        floor_ok = all(sum(households[i] for i in m) >= args.floor for m in regions.values())
        contiguous_ok = all(contiguous(m, neighbours) for m in regions.values())
        print(
            f"{name:<16} units {len(units):>6}  spopt {'construction' if args.construction_only else 'time'} {secs:>9.3f} s  regions {p:>4}  "
            f"all ≥ floor {floor_ok}  contiguous {contiguous_ok}"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
