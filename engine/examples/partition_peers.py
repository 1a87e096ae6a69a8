#!/usr/bin/env python3
"""Peers of the grid-planning benchmark, on the instances that
`cargo run -p gridatlas-engine --release --example partition_bench` exported, printed side by side
with the engine's figures (its `results.csv`) as ratios.

- Joint-management clusters (max-p regions, every unit eligible, the same floor): PySAL spopt's
  MaxPHeuristic with its defaults (top_n 2, 99 construction iterations, simulated annealing).
  Where the full heuristic runs past `--timeout`, spopt's construction phase alone is timed
  (it fixes p; the annealing that follows only lowers heterogeneity), through its private
  `spopt.region.maxp._construction_phase`, and the row says so.
- Grids under the household cap (the cap variant): GerryChain's `recursive_tree_part` (spanning
  -tree bipartition, the method ReCom is built on) with each unit's load (households × the
  share of its class's cap, the engine's integer loads) as population. GerryChain makes exactly
  k parts of balanced population, so the cap is its upper balance bound: k = ⌈Σ load / cap⌉
  (the lower bound) first, then k + 1, … until it finds a plan within the cap, every call with
  `--gerrychain-attempts` spanning trees per cut, all within `--timeout`.

Every peer result is checked here: each region/part contiguous, every cluster at the floor,
every grid within the cap.

    pip install spopt libpysal geopandas gerrychain
    python3 engine/examples/partition_peers.py [--dir target/partition_bench] [--timeout 600] [names…]
    python3 engine/examples/partition_peers.py --report-only   # the table again, from <dir>/peers.csv
"""

import argparse
import csv
import math
import os
import signal
import sys
import time
from functools import partial


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


def groups(labels):
    out = {}
    for i, label in enumerate(labels):
        out.setdefault(label, []).append(i)
    return out


class Timeout(BaseException):
    pass


def on_alarm(signum, frame):
    raise Timeout()


def with_timeout(seconds, fn):
    """fn() or None when it runs past `seconds`; the seconds it took."""
    signal.alarm(max(1, int(seconds)))
    t = time.perf_counter()
    try:
        return fn(), time.perf_counter() - t
    except Timeout:
        return None, time.perf_counter() - t
    finally:
        signal.alarm(0)


def spopt_construction(gdf, w, floor, top_n):
    """spopt's max-p construction phase as `MaxPHeuristic.solve` runs it, without the simulated
    annealing: the labels of the first best solution."""
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
    return list(rl_list[0][0]), max_p


def run_spopt(units, neighbours, floor, top_n, timeout):
    """(kind, seconds, regions, ok, seconds of the full heuristic or of its time-out) for spopt's
    max-p; regions and ok are None when the construction phase timed out too."""
    import geopandas as gpd
    import libpysal
    from shapely.geometry import Point
    from spopt.region import MaxPHeuristic

    households = [float(u["households"]) for u in units]
    gdf = gpd.GeoDataFrame(
        {"households": households},
        geometry=[Point(float(u["x"]), float(u["y"])) for u in units],
    )
    w = libpysal.weights.W(neighbours, silence_warnings=True)

    def full():
        model = MaxPHeuristic(gdf, w, ["households"], "households", floor, top_n)
        model.solve()
        return list(model.labels_), model.p

    kind = "full"
    solved, secs = with_timeout(timeout, full)
    full_s = secs
    if solved is None:
        kind = "construction"
        solved, secs = with_timeout(timeout, lambda: spopt_construction(gdf, w, floor, top_n))
        if solved is None:
            return kind, secs, None, None, full_s
    labels, p = solved
    # Label 0 is spopt's "no region" (units it could not place).
    regions = {k: v for k, v in groups(labels).items() if int(k) > 0}
    ok = all(sum(households[i] for i in m) >= floor for m in regions.values()) and all(
        contiguous(m, neighbours) for m in regions.values()
    )
    return kind, secs, p, ok, full_s


def run_gerrychain(units, neighbours, attempts, timeout, seed):
    """(k found or None, seconds to it, k tried last, ok): GerryChain's recursive_tree_part from
    the lower bound up until a plan within the cap."""
    import networkx as nx
    from gerrychain import Graph
    from gerrychain.partition import recursive_tree_part
    from gerrychain.tree import bipartition_tree

    caps = [int(u["cap"]) for u in units]
    cap = math.lcm(*set(caps))
    loads = [int(u["households"]) * (cap // c) for u, c in zip(units, caps)]
    nxg = nx.Graph()
    for i, l in enumerate(loads):
        nxg.add_node(i, load=l)
    for a, bs in neighbours.items():
        for b in bs:
            if a < b:
                nxg.add_edge(a, b)
    graph = Graph.from_networkx(nxg)
    total = sum(loads)
    k = max(1, math.ceil(total / cap))
    started = time.perf_counter()
    while True:
        left = timeout - (time.perf_counter() - started)
        if left <= 1:
            return None, time.perf_counter() - started, k, None
        target = total / k
        epsilon = cap / target - 1  # the upper balance bound is the cap
        cut = partial(bipartition_tree, max_attempts=attempts)

        def attempt():
            try:
                return recursive_tree_part(
                    graph, range(k), target, "load", epsilon, bipartition_tree_fn=cut, rng=seed
                )
            except Exception:  # GerryChain gives up: no balanced cut within the attempts
                return None

        plan, _ = with_timeout(left, attempt)
        if plan is not None:
            secs = time.perf_counter() - started
            parts = groups([plan[i] for i in range(len(loads))])
            ok = all(sum(loads[i] for i in m) <= cap for m in parts.values()) and all(
                contiguous(m, neighbours) for m in parts.values()
            )
            return len(parts), secs, k, ok
        k += 1


def engine_results(directory):
    path = os.path.join(directory, "results.csv")
    with open(path, newline="") as f:
        return {row["name"]: row for row in csv.DictReader(f)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="instances (default: every one in results.csv)")
    ap.add_argument("--dir", default="target/partition_bench")
    ap.add_argument("--top-n", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=600, help="seconds per peer and instance")
    ap.add_argument("--gerrychain-attempts", type=int, default=1000, help="spanning trees per cut")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-spopt", action="store_true")
    ap.add_argument("--skip-gerrychain", action="store_true")
    ap.add_argument(
        "--report-only",
        action="store_true",
        help="run no peer: print the table from the peers' figures kept in <dir>/peers.csv by an earlier run",
    )
    args = ap.parse_args()

    from importlib.metadata import version

    import spopt

    signal.signal(signal.SIGALRM, on_alarm)
    engine = engine_results(args.dir)
    names = args.names or list(engine)
    print(
        f"peers: spopt {spopt.__version__} MaxPHeuristic (top_n {args.top_n}); "
        f"GerryChain {version('gerrychain')} recursive_tree_part ({args.gerrychain_attempts} trees per cut); "
        f"time-out {args.timeout} s per peer and instance"
    )
    kept = os.path.join(args.dir, "peers.csv")
    rows = []
    if args.report_only:
        with open(kept, newline="") as f:
            for p in csv.DictReader(f):
                if p["name"] not in engine or (args.names and p["name"] not in args.names):
                    continue
                num = lambda v, t: None if v in ("", "None") else t(v)
                flag = lambda v: None if v in ("", "None") else v == "True"
                rows.append({
                    "name": p["name"],
                    "units": int(p["units"]),
                    "e": engine[p["name"]],
                    "spopt": (
                        p["spopt_kind"],
                        float(p["spopt_s"]),
                        num(p["spopt_regions"], int),
                        flag(p["spopt_ok"]),
                        # Files from before this column: the full heuristic ran for the time-out.
                        float(p.get("spopt_full_s") or (p["spopt_s"] if p["spopt_kind"] == "full" else args.timeout)),
                    ),
                    "gc": (num(p["gc_grids"], int), float(p["gc_s"]), num(p["gc_k_tried"], int), flag(p["gc_ok"])),
                })
    else:
        with open(kept, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["name", "units", "spopt_kind", "spopt_s", "spopt_regions", "spopt_ok", "spopt_full_s", "gc_grids", "gc_s", "gc_k_tried", "gc_ok"])
            for name in names:
                e = engine[name]
                units, neighbours = load(args.dir, name)
                floor = float(e["floor"])
                row = {"name": name, "units": len(units), "e": e}
                row["spopt"] = ("skipped", 0.0, None, None, 0.0) if args.skip_spopt else run_spopt(units, neighbours, floor, args.top_n, args.timeout)
                row["gc"] = (None, 0.0, None, None) if args.skip_gerrychain else run_gerrychain(units, neighbours, args.gerrychain_attempts, args.timeout, args.seed)
                print(f"  {name}: spopt {row['spopt']} GerryChain {row['gc']}", file=sys.stderr)
                out.writerow([name, len(units), *row["spopt"], *row["gc"]])
                f.flush()
                rows.append(row)

    print()
    print(f"Joint-management clusters (max-p, floor {engine[names[0]]['floor']} households)")
    print(
        f"{'instance':<16} {'units':>6} | {'engine s':>9} {'clusters':>8} {'bound':>6} | {'spopt s':>9} {'clusters':>8} {'ok':>5} | "
        f"{'vs spopt':>9} {'vs full':>10} {'clusters ±':>10}"
    )
    for r in rows:
        e = r["e"]
        es, ec = float(e["clusters_s"]), int(e["clusters"])
        kind, ss, sc, ok, full_s = r["spopt"]
        speed = lambda t: f"{t / max(es, 1e-6):,.0f}×"
        if kind == "skipped":
            spopt_cols, ratio, vs_full, diff = f"{'—':>9} {'—':>8} {'—':>5}", "—", "—", "—"
        elif sc is None:
            spopt_cols = f"{'> ' + format(ss, '.0f'):>9} {'—':>8} {'—':>5}"
            ratio, vs_full, diff = f"> {speed(ss)}", f"> {speed(full_s)}", "—"
        else:
            mark = "" if kind == "full" else "*"
            spopt_cols = f"{ss:>8.3f}{mark or ' '} {sc:>8} {str(ok):>5}"
            ratio = speed(ss)
            vs_full = speed(ss) if kind == "full" else f"> {speed(full_s)}"
            diff = f"{ec - sc:+d}"
        print(f"{r['name']:<16} {r['units']:>6} | {es:>9.4f} {ec:>8} {int(e['upper_bound']):>6} | {spopt_cols} | {ratio:>9} {vs_full:>10} {diff:>10}")
    if any(r["spopt"][0] == "construction" for r in rows):
        print("  * spopt's construction phase only: its full heuristic ran past the time-out (the construction fixes")
        print("    the number of regions; the simulated annealing after it only lowers heterogeneity)")
    print("  vs spopt: spopt's time shown ÷ the engine's; vs full: the full MaxPHeuristic's time (or its time-out) ÷ the engine's")

    print()
    print("Grids under the cap (150 old / 300 new households), contiguous; engine: default search and quick (no kicks)")
    print(f"{'instance':<16} {'units':>6} {'lower':>6} | {'engine s':>9} {'grids':>6} {'ratio':>6} | {'quick s':>8} {'grids':>6} {'ratio':>6} | {'GerryChain s':>12} {'grids':>6} {'ratio':>6} {'ok':>5} | {'speed-up':>9}")
    for r in rows:
        e = r["e"]
        es, eg, lb = float(e["partition_s"]), int(e["grids"]), int(e["lower_bound"])
        qs, qg = float(e["quick_s"]), int(e["quick_grids"])
        k, gs, tried, ok = r["gc"]
        if k is None:
            gc_cols = f"{'> ' + format(gs, '.0f'):>12} {'—':>6} {'—':>6} {'—':>5}"
            ratio = f"> {gs / max(es, 1e-9):,.0f}×" if tried is not None else "—"
        else:
            gc_cols = f"{gs:>12.3f} {k:>6} {k / max(lb, 1):>6.3f} {str(ok):>5}"
            ratio = f"{gs / max(es, 1e-9):,.1f}×"
        print(
            f"{r['name']:<16} {r['units']:>6} {lb:>6} | {es:>9.3f} {eg:>6} {eg / max(lb, 1):>6.3f} | "
            f"{qs:>8.3f} {qg:>6} {qg / max(lb, 1):>6.3f} | {gc_cols} | {ratio:>9}"
        )
    print("  speed-up: GerryChain's time ÷ the engine's default search")

if __name__ == "__main__":
    main()
