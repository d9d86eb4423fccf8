"""Exact personalized PageRank, the reference every tool's PPR is compared with.

Power iteration with scipy on the plain random walk over the weights, with teleport
alpha' = 2 alpha / (1 + alpha) (the plain-walk twin of tierank's lazy walk), batched over
the sources in a dense n x batch block. Mass that reaches someone whose ties all weigh 0
goes back to the source, as teleport does (networkx's default for dangling nodes).
Iteration stops when every column's L1 change is below --tol; the remaining L1 error is
then at most change * d / (1 - d) for damping d, and both are recorded in timings.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import scipy
import scipy.sparse as sp

from common import Recorder, Timed, neighbours, plain_damping, ppr_table, read_ids, read_ties, seeded_order

#: Bytes of the dense block of the power iteration (two n x batch float64 matrices).
BLOCK_BYTES = 1_000_000_000
#: Upper bound on iterations; at damping 0.739 the L1 change falls below 1e-12 in about 95.
MAX_ITERATIONS = 1000


def solve(adj: sp.csr_matrix, sources: np.ndarray, damping: float, tol: float) -> tuple[np.ndarray, int, float]:
    """PPR vectors of `sources` as the columns of an n x len(sources) matrix.

    Returns the matrix, the iterations made and the last largest column L1 change.
    """
    strength = np.asarray(adj.sum(axis=1)).ravel()
    inverse = np.divide(1.0, strength, out=np.zeros_like(strength), where=strength > 0)
    cols = np.arange(len(sources))
    x = np.zeros((adj.shape[0], len(sources)))
    x[sources, cols] = 1.0
    change = np.inf
    for iteration in range(1, MAX_ITERATIONS + 1):
        y = damping * (adj @ (x * inverse[:, None]))
        y[sources, cols] += 1.0 - y.sum(axis=0)
        change = float(np.abs(y - x).sum(axis=0).max())
        x = y
        if change < tol:
            return x, iteration, change
    return x, MAX_ITERATIONS, change


def main() -> None:
    """Solve every PPR source of WORK and write WORK/results/exact/."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--tol", type=float, default=1e-12, help="stop when the L1 change of every column is below this")
    p.add_argument("--sources", type=int, default=0,
                   help="solve only the first N sources of the tools' seeded source order (0: all); "
                        "the tools' subsamples are prefixes of the same order, so they stay covered")
    a = p.parse_args()
    meta = json.loads((a.work / "prepare.json").read_text())
    damping = plain_damping(float(meta["alpha"]))

    start = time.perf_counter()
    ties = read_ties(a.work / "ties.parquet")
    adj = ties.adjacency(weighted=True)
    sources = ties.vertices(read_ids(a.work / "ppr_targets.parquet"))
    if 0 < a.sources < len(sources):
        sources = sources[seeded_order(len(sources), 3)][: a.sources]
    batch = max(1, BLOCK_BYTES // (16 * ties.n))
    contacts, scores = [], []
    iterations, change = 0, 0.0
    for lo in range(0, len(sources), batch):
        part = sources[lo : lo + batch]
        x, its, ch = solve(adj, part, damping, a.tol)
        iterations, change = max(iterations, its), max(change, ch)
        for j, s in enumerate(part.tolist()):
            friends = neighbours(adj, s)
            contacts.append(friends)
            scores.append(x[friends, j])
    seconds = time.perf_counter() - start

    bound = change * damping / (1.0 - damping)
    rec = Recorder(a.work, "exact", f"scipy {scipy.__version__}", 1)
    rec.record("ppr", None, Timed([seconds], len(sources), None), len(sources), "sources", None,
               f"scipy power iteration, damping {damping:.7f}, {iterations} iterations, "
               f"last L1 change {change:.1e}, L1 error <= {bound:.1e}")
    rec.table("ppr", ppr_table(ties.ids, sources.tolist(), contacts, scores))


if __name__ == "__main__":
    main()
