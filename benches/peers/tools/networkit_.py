"""NetworKit: native link-prediction indices (`runOn`), the triangle-based per-edge Jaccard
of `sparsification`, and `scd.ApproximatePageRank` (the same lazy push as tierank)."""

from __future__ import annotations

import heapq
from typing import Any, Callable

import networkit as nk
import numpy as np

from common import (
    Budget,
    Recorder,
    Ties,
    friend_pairs,
    neighbours,
    nested_pairs,
    nested_ties,
    pairs_table,
    parse_args,
    ppr_table,
    read_ids,
    read_ties,
    repeat,
    sample_label,
    seeded_order,
    sized,
    topk_table,
)

#: Ties of the sparsification output written for the agreement check (a seeded subset).
CHECKED_TIES = 1_000_000

INDICES: dict[str, Callable[[nk.Graph], Any]] = {
    "common_neighbors": nk.linkprediction.CommonNeighborsIndex,
    "jaccard": nk.linkprediction.JaccardIndex,
    "adamic_adar": nk.linkprediction.AdamicAdarIndex,
    "resource_allocation": nk.linkprediction.ResourceAllocationIndex,
}


def load(path: Any) -> tuple[Ties, nk.Graph]:
    """File -> weighted undirected NetworKit graph."""
    ties = read_ties(path)
    g = nk.Graph(ties.n, weighted=True, directed=False)
    g.addEdges((ties.weight, (ties.src, ties.dst)))
    return ties, g


def run_on(g: nk.Graph, score: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Score the pairs with the native index; runOn returns them sorted, so map back by key."""
    result = INDICES[score](g).runOn(list(zip(u.tolist(), v.tolist())))
    n = g.numberOfNodes()
    keys = np.fromiter((a * n + b for (a, b), _ in result), dtype=np.int64, count=len(result))
    vals = np.fromiter((s for _, s in result), dtype=np.float64, count=len(result))
    order = np.argsort(keys)
    pos = np.searchsorted(keys[order], u * n + v)
    return vals[order][pos]


def main() -> None:
    """Run the requested cases and write WORK/results/networkit/."""
    cfg = parse_args(__doc__ or "")
    rec = Recorder(cfg.work, "networkit", nk.__version__, nk.getMaxNumberOfThreads())
    timed = repeat(lambda: load(cfg.work / "ties.parquet"), cfg.budget)
    ties, g = timed.output
    if "load" in cfg.cases:
        rec.record("load", None, timed, ties.m, "ties", None, "read_ties + Graph.addEdges((w, (src, dst)))")
    adj = ties.adjacency(weighted=False)
    targets = ties.vertices(read_ids(cfg.work / "targets.parquet"))
    order = targets[seeded_order(len(targets), 1)]

    if "topk" in cfg.cases:
        def topk(size: int) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
            chosen = np.sort(order[:size])
            contacts, weights = [], []
            for t in chosen.tolist():
                best = heapq.nsmallest(cfg.k, g.iterNeighborsWeights(t), key=lambda vw: (-vw[1], vw[0]))
                contacts.append(np.array([v for v, _ in best], dtype=np.int64))
                weights.append(np.array([w for _, w in best]))
            return chosen, contacts, weights

        timed = sized(topk, len(order), cfg.budget, start=len(order))
        rec.record("topk", None, timed, timed.size, "targets", sample_label(timed.size, len(order), "targets"),
                   "iterNeighborsWeights + heapq.nsmallest per target")
        rec.table("topk", topk_table(*timed.output, ties.ids))

    if "pairs" in cfg.cases:
        scores: dict[str, np.ndarray] = {}
        sizes: dict[str, int] = {}
        for score in INDICES:
            timed = sized(lambda s, score=score: run_on(g, score, *friend_pairs(adj, np.sort(order[:s]))),
                          len(order), cfg.budget, 64)
            u, v = friend_pairs(adj, np.sort(order[: timed.size]))
            rec.record("pairs", score, timed, len(u), "pairs", sample_label(timed.size, len(order), "targets"),
                       f"linkprediction.{INDICES[score].__name__}(G).runOn(pairs), list building and result arrays included")
            scores[score], sizes[score] = timed.output, timed.size
        rec.table("pairs", nested_pairs(ties, adj, order, scores, sizes))

    if "ties" in cfg.cases:
        tie_order = seeded_order(ties.m, 2)
        scores, sizes = {}, {}
        for score in ("jaccard", "adamic_adar"):
            def on_ties(s: int, score: str = score) -> np.ndarray:
                pick = np.sort(tie_order[:s])
                return run_on(g, score, ties.src[pick], ties.dst[pick])

            timed = sized(on_ties, ties.m, cfg.budget, 1024)
            rec.record("ties", score, timed, timed.size, "ties", sample_label(timed.size, ties.m, "ties"),
                       f"linkprediction.{INDICES[score].__name__}(G).runOn(ties), list building and result arrays included")
            scores[score], sizes[score] = timed.output, timed.size
        rec.table("ties", nested_ties(ties, tie_order, scores, sizes))
        sparsified_jaccard(rec, ties, g, cfg.budget)

    if "ppr" in cfg.cases:
        sources = ties.vertices(read_ids(cfg.work / "ppr_targets.parquet"))
        src_order = sources[seeded_order(len(sources), 3)]

        def ppr(size: int) -> tuple[list[int], list[np.ndarray], list[np.ndarray]]:
            chosen = np.sort(src_order[:size]).tolist()
            contacts, values = [], []
            for s in chosen:
                # A fresh object per source: ApproximatePageRank keeps its (p, r) map between
                # run() calls, so reusing one would add up the vectors of earlier sources.
                scores = dict(nk.scd.ApproximatePageRank(g, cfg.alpha, cfg.epsilon).run(s))
                friends = neighbours(adj, s)
                contacts.append(friends)
                values.append(np.array([scores.get(f, 0.0) for f in friends.tolist()]))
            return chosen, contacts, values

        timed = sized(ppr, len(src_order), cfg.budget, len(src_order))
        rec.record("ppr", None, timed, timed.size, "sources", sample_label(timed.size, len(src_order), "sources"),
                   f"scd.ApproximatePageRank(G, alpha={cfg.alpha}, epsilon={cfg.epsilon}).run(s): lazy push, raw p")
        rec.table("ppr", ppr_table(ties.ids, *timed.output))
    rec.save()


def sparsified_jaccard(rec: Recorder, ties: Ties, g: nk.Graph, budget: Budget) -> None:
    """Per-edge Jaccard for every tie through triangle counts (a second, cheaper NetworKit row).

    JaccardSimilarityAttributizer returns the Jaccard coefficient itself (not 1 - J as its
    docstring says); the check compares it with the other tools' Jaccard, so a convention
    difference would show up there.
    """
    def run() -> list[float]:
        g.indexEdges()
        triangles = nk.sparsification.TriangleEdgeScore(g)
        triangles.run()
        attr = nk.sparsification.JaccardSimilarityAttributizer(g, triangles.scores())
        return attr.getAttribute()

    timed = repeat(run, budget)
    rec.record("ties", "jaccard", timed, ties.m, "ties", None,
               "sparsification.TriangleEdgeScore + JaccardSimilarityAttributizer", variant="sparsification")
    # Edge ids do not follow iterEdges() order, so look them up; on a bounded seeded subset of
    # ties, since edgeId is one Python call per tie and the check needs no more.
    pick = np.sort(seeded_order(ties.m, 2)[:CHECKED_TIES])
    src, dst = ties.src[pick], ties.dst[pick]
    eids = np.fromiter((g.edgeId(a, b) for a, b in zip(src.tolist(), dst.tolist())), dtype=np.int64, count=len(pick))
    values = np.asarray(timed.output)[eids]
    rec.table("ties_sparsification", pairs_table(ties.ids, src, dst, {"jaccard": values}, ("src", "dst")))


if __name__ == "__main__":
    main()
