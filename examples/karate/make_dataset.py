#!/usr/bin/env python3
"""Writes Zachary's karate club (1977) as a tierank dataset with a ground truth.

The 34 members are people 1..34 (networkx node index + 1). `ties.parquet` holds the 78
friendships WITHOUT their weights (topology only, `formed_at` null), so the heuristics see
only the structure. Zachary's weights (the number of contexts in which two members
interacted, 1..7) become the ground truth `truth_closeness.parquet`, one row per directed tie:

- closeness = weight / (largest weight among the target's ties), in (0, 1];
- layers per target from the weight rank (ties of equal weight broken by ascending alter id):
  rank 1 -> layer 1, ranks 2-3 -> layer 2, ranks 4-7 -> layer 3, ranks 8-15 -> layer 4,
  ranks 16-30 -> layer 5, beyond -> layer 6. These are Dunbar's cumulative 1.5/5/15/50/150
  scaled down to a club where the median member has 4 friends;
- relation: `close_friend` for layers 1-3, `acquaintance` otherwise (Zachary recorded no
  relation type; this only labels the strata).

Usage: python3 make_dataset.py OUT_DIR   (needs networkx and pyarrow)
"""

import hashlib
import json
import os
import sys

import networkx as nx
import pyarrow as pa
import pyarrow.parquet as pq

# Upper rank (inclusive) of layers 1..5; beyond the last is layer 6.
LAYER_RANKS = [1, 3, 7, 15, 30]


def layer_of(rank):
    for layer, upper in enumerate(LAYER_RANKS, start=1):
        if rank <= upper:
            return layer
    return 6


def dictionary(values):
    return pa.array(values, pa.string()).dictionary_encode().cast(
        pa.dictionary(pa.int8(), pa.string()))


def write(table, path):
    pq.write_table(table, path, compression="zstd")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main(out):
    os.makedirs(out, exist_ok=True)
    g = nx.karate_club_graph()
    edges = sorted((min(u, v) + 1, max(u, v) + 1, d["weight"]) for u, v, d in g.edges(data=True))
    ties = pa.table({
        "src": pa.array([e[0] for e in edges], pa.int64()),
        "dst": pa.array([e[1] for e in edges], pa.int64()),
        "formed_at": pa.array([None] * len(edges), pa.timestamp("ms", tz="UTC")),
    })
    write(ties, os.path.join(out, "ties.parquet"))

    weight = {}
    for u, v, w in edges:
        weight.setdefault(u, []).append((v, w))
        weight.setdefault(v, []).append((u, w))
    target, alter, layer, relation, closeness = [], [], [], [], []
    for e in sorted(weight):
        ranked = sorted(weight[e], key=lambda aw: (-aw[1], aw[0]))
        top = ranked[0][1]
        for rank, (a, w) in enumerate(ranked, start=1):
            lay = layer_of(rank)
            target.append(e)
            alter.append(a)
            layer.append(lay)
            relation.append("close_friend" if lay <= 3 else "acquaintance")
            closeness.append(w / top)
    truth = pa.table({
        "target": pa.array(target, pa.int64()),
        "alter": pa.array(alter, pa.int64()),
        "layer": pa.array(layer, pa.int8()),
        "relation": dictionary(relation),
        "closeness": pa.array(closeness, pa.float64()),
    })
    write(truth, os.path.join(out, "truth_closeness.parquet"))

    files = []
    for rel, rows in [("ties.parquet", len(edges)), ("truth_closeness.parquet", len(target))]:
        p = os.path.join(out, rel)
        files.append({"path": rel, "rows": rows, "bytes": os.path.getsize(p), "sha256": sha256(p)})
    manifest = {
        "format_version": 2,
        "tierank_version": "0.1.0",
        "generator": "examples/karate/make_dataset.py (Zachary 1977, via networkx)",
        "seed": None,
        "parameters": {"source": "networkx.karate_club_graph", "layer_ranks": LAYER_RANKS,
                       "closeness": "weight / max weight of the target's ties"},
        "row_counts": {"ties": len(edges), "truth_closeness": len(target)},
        "files": files,
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"wrote {out}: {g.number_of_nodes()} people, {len(edges)} ties, {len(target)} truth rows")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "data"))
