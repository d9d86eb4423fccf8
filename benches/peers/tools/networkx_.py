"""networkx: the link-prediction generators on explicit pairs (`ebunch`), `common_neighbors`
and `pagerank(personalization=...)`. Pure Python, so most cases run on a labelled subsample;
on graphs too large for memory it records every case as not run."""

from __future__ import annotations

import heapq
from typing import Any, Callable

import networkx as nx
import numpy as np

from common import (
    PAIR_SCORES,
    TIE_SCORES,
    Recorder,
    Ties,
    friend_pairs,
    nested_pairs,
    nested_ties,
    neighbours,
    parse_args,
    plain_damping,
    ppr_table,
    read_ids,
    read_ties,
    repeat,
    sample_label,
    seeded_order,
    sized,
    topk_table,
)

#: Memory of a networkx Graph per undirected weighted tie: 400 bytes measured with 3.6.1 on
#: the small preset, plus headroom for the algorithms' own copies.
BYTES_PER_TIE = 500
#: Share of the available memory the graph may take.
MEMORY_SHARE = 0.5

#: networkx's generators for each pair score, and how the table names them.
GENERATORS: dict[str, tuple[str, Callable[[nx.Graph, list[tuple[int, int]]], Any]]] = {
    "jaccard": ("jaccard_coefficient(G, ebunch)", nx.jaccard_coefficient),
    "adamic_adar": ("adamic_adar_index(G, ebunch)", nx.adamic_adar_index),
    "resource_allocation": ("resource_allocation_index(G, ebunch)", nx.resource_allocation_index),
}


def available_memory() -> int:
    """MemAvailable from /proc/meminfo, in bytes."""
    for line in open("/proc/meminfo", encoding="ascii"):
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no MemAvailable in /proc/meminfo")


def load(path: object) -> tuple[Ties, nx.Graph]:
    """File -> weighted networkx Graph on vertex ids."""
    ties = read_ties(path)
    g = nx.Graph()
    g.add_nodes_from(range(ties.n))
    g.add_weighted_edges_from(zip(ties.src.tolist(), ties.dst.tolist(), ties.weight.tolist()))
    return ties, g


def score_pairs(g: nx.Graph, score: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """One score for the pairs (u[i], v[i]) with networkx's own function."""
    pairs = list(zip(u.tolist(), v.tolist()))
    if score == "common_neighbors":
        return np.fromiter((len(nx.common_neighbors(g, a, b)) for a, b in pairs), dtype=np.int64, count=len(pairs))
    return np.fromiter((p for _, _, p in GENERATORS[score][1](g, pairs)), dtype=np.float64, count=len(pairs))


def note_of(score: str) -> str:
    """How a score was computed, for the table."""
    return "len(common_neighbors(G, u, v)) per pair" if score == "common_neighbors" else GENERATORS[score][0]


def main() -> None:
    """Run the requested cases and write WORK/results/networkx/."""
    cfg = parse_args(__doc__ or "")
    rec = Recorder(cfg.work, "networkx", nx.__version__, 1)
    m = int(cfg.meta["ties"])
    need, have = m * BYTES_PER_TIE, available_memory()
    if need > MEMORY_SHARE * have:
        reason = (f"{m:,} ties need about {need / 2**30:.0f} GiB as a networkx Graph "
                  f"({BYTES_PER_TIE} B per tie), over {MEMORY_SHARE:.0%} of the {have / 2**30:.0f} GiB available")
        for case in cfg.cases:
            scores = {"pairs": PAIR_SCORES, "ties": TIE_SCORES}.get(case, (None,))
            for score in scores:
                rec.skip(case, score, reason)
        rec.save()
        return

    timed = repeat(lambda: load(cfg.work / "ties.parquet"), cfg.budget)
    ties, g = timed.output
    if "load" in cfg.cases:
        rec.record("load", None, timed, ties.m, "ties", None, "read_ties + Graph.add_weighted_edges_from")
    adj = ties.adjacency(weighted=False)
    targets = ties.vertices(read_ids(cfg.work / "targets.parquet"))
    order = targets[seeded_order(len(targets), 1)]

    if "topk" in cfg.cases:
        def topk(size: int) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
            chosen = np.sort(order[:size])
            contacts, weights = [], []
            for t in chosen.tolist():
                best = heapq.nsmallest(cfg.k, g[t].items(), key=lambda kv: (-kv[1]["weight"], kv[0]))
                contacts.append(np.array([v for v, _ in best], dtype=np.int64))
                weights.append(np.array([d["weight"] for _, d in best]))
            return chosen, contacts, weights

        timed = sized(topk, len(order), cfg.budget, start=len(order))
        rec.record("topk", None, timed, timed.size, "targets", sample_label(timed.size, len(order), "targets"),
                   "heapq.nsmallest over G[t].items() per target")
        rec.table("topk", topk_table(*timed.output, ties.ids))

    if "pairs" in cfg.cases:
        scores: dict[str, np.ndarray] = {}
        sizes: dict[str, int] = {}
        for score in PAIR_SCORES:
            timed = sized(lambda s, score=score: score_pairs(g, score, *friend_pairs(adj, np.sort(order[:s]))),
                          len(order), cfg.budget, 16)
            items = len(friend_pairs(adj, np.sort(order[: timed.size]))[0])
            rec.record("pairs", score, timed, items, "pairs", sample_label(timed.size, len(order), "targets"), note_of(score))
            scores[score], sizes[score] = timed.output, timed.size
        rec.table("pairs", nested_pairs(ties, adj, order, scores, sizes))

    if "ties" in cfg.cases:
        tie_order = seeded_order(ties.m, 2)
        scores, sizes = {}, {}
        for score in TIE_SCORES:
            def on_ties(s: int, score: str = score) -> np.ndarray:
                pick = np.sort(tie_order[:s])
                return score_pairs(g, score, ties.src[pick], ties.dst[pick])

            timed = sized(on_ties, ties.m, cfg.budget, 1024)
            rec.record("ties", score, timed, timed.size, "ties", sample_label(timed.size, ties.m, "ties"), note_of(score))
            scores[score], sizes[score] = timed.output, timed.size
        rec.table("ties", nested_ties(ties, tie_order, scores, sizes))

    if "ppr" in cfg.cases:
        sources = ties.vertices(read_ids(cfg.work / "ppr_targets.parquet"))
        src_order = sources[seeded_order(len(sources), 3)]
        damping = plain_damping(cfg.alpha)
        # networkx stops when the L1 change is below n * tol; the default tol (1e-6) would
        # allow an L1 error of 0.1 at 100,000 people, far too loose to rank friends.
        tol = 1e-10 / ties.n

        def ppr(size: int) -> tuple[list[int], list[np.ndarray], list[np.ndarray]]:
            chosen = np.sort(src_order[:size]).tolist()
            contacts, values = [], []
            for s in chosen:
                vector = nx.pagerank(g, alpha=damping, personalization={s: 1.0}, weight="weight", tol=tol, max_iter=1000)
                friends = neighbours(adj, s)
                contacts.append(friends)
                values.append(np.array([vector[f] for f in friends.tolist()]))
            return chosen, contacts, values

        timed = sized(ppr, len(src_order), cfg.budget, 1)
        rec.record("ppr", None, timed, timed.size, "sources", sample_label(timed.size, len(src_order), "sources"),
                   f"pagerank(alpha={damping:.7f}, personalization={{s: 1}}, weight='weight', tol=1e-10/n)")
        rec.table("ppr", ppr_table(ties.ids, *timed.output))
    rec.save()


if __name__ == "__main__":
    main()
