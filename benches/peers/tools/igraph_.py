"""igraph: `similarity_jaccard(pairs=..., loops=False)`, the full-row `cocitation` and
`similarity_inverse_log_weighted` (no pair argument: rows are computed in chunks and the
needed columns taken), and `personalized_pagerank`. igraph has no resource allocation index."""

from __future__ import annotations

import igraph as ig
import numpy as np
import scipy.sparse as sp

from common import (
    Recorder,
    Ties,
    chunks,
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
    top_by_weight,
    topk_table,
)

#: Bytes of one dense block of full rows; a row costs about 32 bytes per vertex once igraph
#: has turned it into a Python list of floats.
ROW_BLOCK_BYTES = 100_000_000

#: Full-row methods and the igraph call for a chunk of vertices.
ROW_METHODS = {
    "common_neighbors": ("cocitation(vertices=chunk)", lambda g, chunk: g.cocitation(vertices=chunk)),
    "adamic_adar": (
        "similarity_inverse_log_weighted(vertices=chunk)",
        lambda g, chunk: g.similarity_inverse_log_weighted(vertices=chunk, mode="all"),
    ),
}


def load(path: object) -> tuple[Ties, ig.Graph]:
    """File -> weighted undirected igraph graph (edge i is tie i)."""
    ties = read_ties(path)
    g = ig.Graph(n=ties.n, edges=np.column_stack((ties.src, ties.dst)), directed=False,
                 edge_attrs={"weight": ties.weight})
    return ties, g


def row_scores(g: ig.Graph, method: str, rows: np.ndarray, cols: list[np.ndarray]) -> np.ndarray:
    """Scores at (rows[i], cols[i][j]) from full rows computed a block of rows at a time."""
    block = max(1, ROW_BLOCK_BYTES // (32 * g.vcount()))
    call = ROW_METHODS[method][1]
    out: list[float] = []
    for part in chunks(len(rows), block):
        matrix = call(g, rows[part].tolist())
        for row, wanted in zip(matrix, cols[part]):
            out.extend(row[j] for j in wanted.tolist())
    return np.asarray(out, dtype=np.float64)


def pair_scores(g: ig.Graph, score: str, adj: sp.csr_matrix, targets: np.ndarray) -> np.ndarray:
    """One score for every (target, friend) pair of sorted `targets`, in friend_pairs order."""
    if score == "jaccard":
        u, v = friend_pairs(adj, targets)
        return np.asarray(g.similarity_jaccard(pairs=list(zip(u.tolist(), v.tolist())), loops=False))
    return row_scores(g, score, targets, [neighbours(adj, t) for t in targets.tolist()])


def tie_scores(g: ig.Graph, score: str, ties: Ties, pick: np.ndarray) -> np.ndarray:
    """One score for the ties `pick` (sorted tie indices, so grouped by src)."""
    src, dst = ties.src[pick], ties.dst[pick]
    if score == "jaccard":
        return np.asarray(g.similarity_jaccard(pairs=list(zip(src.tolist(), dst.tolist())), loops=False))
    rows, starts = np.unique(src, return_index=True)
    return row_scores(g, score, rows, np.split(dst, starts[1:]))


def main() -> None:
    """Run the requested cases and write WORK/results/igraph/."""
    cfg = parse_args(__doc__ or "")
    rec = Recorder(cfg.work, "igraph", ig.__version__, 1)
    timed = repeat(lambda: load(cfg.work / "ties.parquet"), cfg.budget)
    ties, g = timed.output
    if "load" in cfg.cases:
        rec.record("load", None, timed, ties.m, "ties", None, "read_ties + Graph(n, edges, edge_attrs={'weight'})")
    adj = ties.adjacency(weighted=False)
    targets = ties.vertices(read_ids(cfg.work / "targets.parquet"))
    order = targets[seeded_order(len(targets), 1)]

    if "topk" in cfg.cases:
        def topk(size: int) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
            chosen = np.sort(order[:size])
            weight = np.asarray(g.es["weight"])
            contacts, weights = [], []
            for t in chosen.tolist():
                eids = np.asarray(g.incident(t))
                other = np.where(ties.src[eids] == t, ties.dst[eids], ties.src[eids])
                c, w = top_by_weight(other, weight[eids], cfg.k)
                contacts.append(c)
                weights.append(w)
            return chosen, contacts, weights

        timed = sized(topk, len(order), cfg.budget, start=len(order))
        rec.record("topk", None, timed, timed.size, "targets", sample_label(timed.size, len(order), "targets"),
                   "incident(t) + numpy lexsort per target")
        rec.table("topk", topk_table(*timed.output, ties.ids))

    if "pairs" in cfg.cases:
        scores: dict[str, np.ndarray] = {}
        sizes: dict[str, int] = {}
        for score in ("common_neighbors", "jaccard", "adamic_adar"):
            # Row methods cost a full row per target (116 s for 16 targets on `large`): pilot from one.
            timed = sized(lambda s, score=score: pair_scores(g, score, adj, np.sort(order[:s])), len(order), cfg.budget,
                          16 if score == "jaccard" else 1)
            items = len(friend_pairs(adj, np.sort(order[: timed.size]))[0])
            note = ("similarity_jaccard(pairs=..., loops=False)" if score == "jaccard"
                    else ROW_METHODS[score][0] + f": full rows in blocks of {ROW_BLOCK_BYTES // 10**6} MB, friends' columns taken")
            rec.record("pairs", score, timed, items, "pairs", sample_label(timed.size, len(order), "targets"), note)
            scores[score], sizes[score] = timed.output, timed.size
        rec.skip("pairs", "resource_allocation", "igraph has no resource allocation index")
        rec.table("pairs", nested_pairs(ties, adj, order, scores, sizes))

    if "ties" in cfg.cases:
        tie_order = seeded_order(ties.m, 2)
        scores, sizes = {}, {}
        for score in ("jaccard", "adamic_adar"):
            # similarity_jaccard takes pairs and is cheap per tie; the row method costs a full
            # row (all n people) per tie, so its pilot starts at one tie, not 256 (on `large`
            # 256 rows took half an hour before the budget could act).
            start = 256 if score == "jaccard" else 1
            timed = sized(lambda s, score=score: tie_scores(g, score, ties, np.sort(tie_order[:s])), ties.m, cfg.budget, start)
            note = ("similarity_jaccard(pairs=ties, loops=False)" if score == "jaccard"
                    else ROW_METHODS[score][0] + ": one full row per distinct src of the sample")
            rec.record("ties", score, timed, timed.size, "ties", sample_label(timed.size, ties.m, "ties"), note)
            scores[score], sizes[score] = timed.output, timed.size
        rec.table("ties", nested_ties(ties, tie_order, scores, sizes))

    if "ppr" in cfg.cases:
        sources = ties.vertices(read_ids(cfg.work / "ppr_targets.parquet"))
        src_order = sources[seeded_order(len(sources), 3)]
        damping = plain_damping(cfg.alpha)

        def ppr(size: int) -> tuple[list[int], list[np.ndarray], list[np.ndarray]]:
            chosen = np.sort(src_order[:size]).tolist()
            contacts, values = [], []
            for s in chosen:
                vector = g.personalized_pagerank(directed=False, damping=damping, reset_vertices=s, weights="weight")
                friends = neighbours(adj, s)
                contacts.append(friends)
                values.append(np.asarray(vector)[friends])
            return chosen, contacts, values

        timed = sized(ppr, len(src_order), cfg.budget, 1)
        rec.record("ppr", None, timed, timed.size, "sources", sample_label(timed.size, len(src_order), "sources"),
                   f"personalized_pagerank(damping={damping:.7f}, reset_vertices=s, weights='weight'): whole graph per source")
        rec.table("ppr", ppr_table(ties.ids, *timed.output))
    rec.save()


if __name__ == "__main__":
    main()
