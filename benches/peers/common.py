"""Shared pieces of the peer harness: the work directory, id mapping, seeded samples,
timing under a time budget, and atomic result files.

Every tool runner (tools/*.py) runs in its own process, reads the same WORK directory that
`tierank-peers prepare` wrote, and records its timings in WORK/results/<tool>/timings.json in
the layout that check.py and report.py (and the Rust runner) share.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp

#: Cases in the order the spec lists them (and the report shows them).
CASES: tuple[str, ...] = ("load", "topk", "pairs", "ties", "ppr")
#: The four two-hop scores of the `pairs` case; `ties` uses the first two that matter.
PAIR_SCORES: tuple[str, ...] = ("common_neighbors", "jaccard", "adamic_adar", "resource_allocation")
TIE_SCORES: tuple[str, ...] = ("jaccard", "adamic_adar")
#: Seed of the harness's own subsamples (nested prefixes of one permutation per kind).
SAMPLE_SEED = 7


def plain_damping(alpha: float) -> float:
    """Damping of the plain walk that has the same PPR vector as tierank's lazy walk.

    The lazy walk with teleport alpha equals the plain walk with teleport
    alpha' = 2 alpha / (1 + alpha), so the damping is 1 - alpha' = (1 - alpha) / (1 + alpha).
    """
    return (1.0 - alpha) / (1.0 + alpha)


# ---------------------------------------------------------------------------------------
# Atomic writes: a crash or a second run must never leave a half-written result behind.


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder and a rename."""
    _atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_parquet_atomic(path: Path, table: pa.Table) -> None:
    """Write an Arrow table to `path` through a temporary file and a rename."""
    _atomic(path, lambda tmp: pq.write_table(table, tmp))


# ---------------------------------------------------------------------------------------
# The work directory.


@dataclass(frozen=True)
class Ties:
    """The undirected ties of WORK/ties.parquet, on dense vertex ids.

    Vertex v is person `ids[v]`; `ids` is sorted, so ordering by vertex id is ordering by
    person id, which is how every tool breaks ties "by smaller person id".
    """

    ids: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray

    @property
    def n(self) -> int:
        """Number of people with at least one tie."""
        return int(len(self.ids))

    @property
    def m(self) -> int:
        """Number of undirected ties."""
        return int(len(self.src))

    def vertices(self, person_ids: np.ndarray) -> np.ndarray:
        """Vertex ids of `person_ids`; fails if someone has no tie (and so no vertex)."""
        v = np.searchsorted(self.ids, person_ids)
        if np.any(v >= self.n) or np.any(self.ids[np.minimum(v, self.n - 1)] != person_ids):
            raise ValueError("a person id is not in ties.parquet")
        return v.astype(np.int64)

    def adjacency(self, weighted: bool) -> sp.csr_matrix:
        """Symmetric CSR adjacency with sorted column indices (weights or ones)."""
        data = self.weight if weighted else np.ones(self.m)
        rows = np.concatenate([self.src, self.dst])
        cols = np.concatenate([self.dst, self.src])
        a = sp.csr_matrix((np.concatenate([data, data]), (rows, cols)), shape=(self.n, self.n))
        a.sort_indices()
        return a


def read_ties(path: Path) -> Ties:
    """Read ties.parquet and map person ids to dense vertex ids.

    This is the common first half of every tool's `load` case, and is timed with it: an
    analyst has to do the same mapping before handing the edges to a graph library.
    """
    table = pq.read_table(path, columns=["src", "dst", "weight"])
    src = table.column("src").to_numpy()
    dst = table.column("dst").to_numpy()
    weight = table.column("weight").to_numpy().astype(np.float64, copy=False)
    ids = np.unique(np.concatenate([src, dst]))
    return Ties(ids, np.searchsorted(ids, src), np.searchsorted(ids, dst), weight)


def read_ids(path: Path) -> np.ndarray:
    """The sorted `person_id` column of targets.parquet or ppr_targets.parquet."""
    return pq.read_table(path, columns=["person_id"]).column("person_id").to_numpy()


def neighbours(adj: sp.csr_matrix, v: int) -> np.ndarray:
    """Sorted vertex ids of the friends of v."""
    return adj.indices[adj.indptr[v] : adj.indptr[v + 1]]


def friend_pairs(adj: sp.csr_matrix, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (target, friend) pairs of sorted `targets`, ordered by (target, friend)."""
    starts = adj.indptr[targets]
    counts = adj.indptr[targets + 1] - starts
    u = np.repeat(targets, counts)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    v = adj.indices[np.repeat(starts, counts) + offsets]
    return u.astype(np.int64), v.astype(np.int64)


def seeded_order(count: int, salt: int) -> np.ndarray:
    """A fixed permutation of range(count); samples are its prefixes, so they are nested."""
    return np.random.default_rng([SAMPLE_SEED, salt]).permutation(count)


def sample_label(size: int, total: int, unit: str) -> str | None:
    """'500 of 10,000 targets' for a subsample, None when the whole set ran."""
    return None if size >= total else f"{size:,} of {total:,} {unit}"


# ---------------------------------------------------------------------------------------
# Timing under a budget.


@dataclass(frozen=True)
class Budget:
    """How long one (tool, case, score) may take, repeats included.

    `case_seconds` bounds the whole case (about 60 s by default); `runs` is the number of
    timed repeats when they fit, and fewer are made when one run takes a large part of the
    budget. `pilot_seconds` is how long the growing pilot runs take before a sample size is
    chosen from their per-item cost.
    """

    case_seconds: float = 60.0
    runs: int = 3
    pilot_seconds: float = 1.0


@dataclass
class Timed:
    """The result of a timed case: every run's seconds, the sample size and the last output."""

    runs: list[float]
    size: int
    output: Any

    @property
    def seconds(self) -> float:
        """Best (minimum) of the runs, the figure the tables use."""
        return min(self.runs)


def _clock(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def repeat(fn: Callable[[], Any], budget: Budget) -> Timed:
    """Time `fn` best-of-N, making fewer runs when one run is a large part of the budget."""
    first, out = _clock(fn)
    runs = [first]
    wanted = min(budget.runs, max(1, math.floor(budget.case_seconds / max(first, 1e-9))))
    while len(runs) < wanted:
        t, out = _clock(fn)
        runs.append(t)
    return Timed(runs, 0, out)


def sized(fn: Callable[[int], Any], total: int, budget: Budget, start: int = 1) -> Timed:
    """Time `fn(size)` on the largest prefix of the work that fits the budget.

    `fn(size)` does the work for the first `size` items of a seeded order. Pilot runs grow
    the size fourfold until one takes `pilot_seconds` (or covers everything); the per-item
    cost of the last pilot then picks the sample size so that all runs together stay near
    `case_seconds`. Pilots are not reported; the chosen size is then timed best-of-N.
    """
    size = max(1, min(start, total))
    while True:
        elapsed, out = _clock(lambda: fn(size))
        if size >= total or elapsed >= budget.pilot_seconds:
            break
        grow = 4 if elapsed <= 0 else min(4.0, 2 * budget.pilot_seconds / elapsed)
        size = min(total, max(size + 1, int(size * grow)))
    per_item = elapsed / size
    chosen = max(1, min(total, math.floor(budget.case_seconds / max(per_item, 1e-12))))
    if chosen <= size:
        # The last pilot already covers everything or used the whole budget: it is run one.
        chosen = size
        runs = [elapsed]
    else:
        elapsed, out = _clock(lambda: fn(chosen))
        runs = [elapsed]
    wanted = min(budget.runs, max(1, math.floor(budget.case_seconds / max(runs[0], 1e-9))))
    while len(runs) < wanted:
        t, out = _clock(lambda: fn(chosen))
        runs.append(t)
    return Timed(runs, chosen, out)


# ---------------------------------------------------------------------------------------
# Recording results.


@dataclass
class Recorder:
    """Collects one tool's cases and writes WORK/results/<tool>/ atomically."""

    work: Path
    tool: str
    version: str
    threads: int
    cases: list[dict[str, Any]] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        """WORK/results/<tool>."""
        return self.work / "results" / self.tool

    def record(
        self,
        case: str,
        score: str | None,
        timed: Timed,
        items: int,
        unit: str,
        sample: str | None,
        note: str,
        variant: str | None = None,
    ) -> None:
        """Add one timed (case, score) and print a one-line summary."""
        entry: dict[str, Any] = {
            "case": case,
            "score": score,
            "seconds": timed.seconds,
            "items": int(items),
            "unit": unit,
            "sample": sample,
            "runs": [round(r, 6) for r in timed.runs],
            "note": note,
        }
        if variant is not None:
            entry["variant"] = variant
        self.cases.append(entry)
        rate = items / timed.seconds if timed.seconds > 0 else float("inf")
        label = f"{case}/{score}" + (f" ({variant})" if variant else "") if score else case
        print(
            f"{self.tool:>9} {label:<32} {timed.seconds:9.3f} s  {rate:14,.1f} {unit}/s"
            + (f"  [{sample}]" if sample else ""),
            flush=True,
        )
        self.save()

    def skip(self, case: str, score: str | None, reason: str) -> None:
        """Record a case that was deliberately not run, with the reason the table shows."""
        self.cases.append({"case": case, "score": score, "skipped": reason})
        print(f"{self.tool:>9} {case}/{score or '-'}: not run: {reason}", flush=True)
        self.save()

    def table(self, name: str, table: pa.Table) -> None:
        """Write WORK/results/<tool>/<name>.parquet."""
        write_parquet_atomic(self.folder / f"{name}.parquet", table)

    def save(self) -> None:
        """Write timings.json (after every case, so a later crash keeps what was measured)."""
        doc = {"tool": self.tool, "version": self.version, "threads": self.threads, "cases": self.cases}
        write_text_atomic(self.folder / "timings.json", json.dumps(doc, indent=2) + "\n")


# ---------------------------------------------------------------------------------------
# Shared command line of the tool runners.


@dataclass(frozen=True)
class RunConfig:
    """What a tool runner was asked to do."""

    work: Path
    budget: Budget
    cases: tuple[str, ...]
    meta: dict[str, Any]

    @property
    def alpha(self) -> float:
        """Teleport probability of tierank's lazy walk."""
        return float(self.meta["alpha"])

    @property
    def epsilon(self) -> float:
        """Push threshold of tierank's PPR (used by NetworKit's push too)."""
        return float(self.meta["epsilon"])

    @property
    def k(self) -> int:
        """Number of contacts in a top-k list and in the PPR overlap."""
        return int(self.meta["k"])


def parse_args(description: str, argv: Sequence[str] | None = None) -> RunConfig:
    """Parse the command line every tool runner shares."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--work", type=Path, required=True, help="WORK directory from tierank-peers prepare")
    p.add_argument("--runs", type=int, default=3, help="timed repeats when they fit the budget")
    p.add_argument("--case-seconds", type=float, default=60.0, help="time budget of one case/score")
    p.add_argument("--cases", default=",".join(CASES), help="comma-separated subset of " + ",".join(CASES))
    a = p.parse_args(argv)
    cases = tuple(c for c in a.cases.split(",") if c)
    unknown = set(cases) - set(CASES)
    if unknown:
        p.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    meta = json.loads((a.work / "prepare.json").read_text())
    pilot = min(1.0, a.case_seconds / 10)
    return RunConfig(a.work, Budget(a.case_seconds, a.runs, pilot), cases, meta)


def chunks(n: int, size: int) -> Iterator[slice]:
    """Consecutive slices of range(n) of at most `size` items."""
    for lo in range(0, n, size):
        yield slice(lo, min(n, lo + size))


def topk_table(targets: np.ndarray, contacts: list[np.ndarray], weights: list[np.ndarray], ids: np.ndarray) -> pa.Table:
    """The topk.parquet layout (target, contact, rank, weight) in person ids."""
    counts = np.array([len(c) for c in contacts], dtype=np.int64)
    contact = np.concatenate(contacts) if contacts else np.empty(0, np.int64)
    weight = np.concatenate(weights) if weights else np.empty(0)
    rank = np.concatenate([np.arange(1, c + 1) for c in counts]) if len(counts) else np.empty(0, np.int64)
    return pa.table(
        {
            "target": ids[np.repeat(targets, counts)],
            "contact": ids[contact.astype(np.int64)],
            "rank": rank.astype(np.int32),
            "weight": weight.astype(np.float64),
        }
    )


def top_by_weight(nbrs: np.ndarray, weights: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k friends with the largest weight, ties broken by smaller vertex (= person) id."""
    order = np.lexsort((nbrs, -weights))[:k]
    return nbrs[order], weights[order]


def pairs_table(ids: np.ndarray, u: np.ndarray, v: np.ndarray, scores: dict[str, Any], names: Sequence[str]) -> pa.Table:
    """A (target|src, contact|dst, score...) table in person ids; missing scores are null."""
    key_u, key_v = names
    cols: dict[str, Any] = {key_u: ids[u], key_v: ids[v]}
    score_names = PAIR_SCORES if key_u == "target" else TIE_SCORES
    for s in score_names:
        if s in scores:
            cols[s] = scores[s]
        else:
            cols[s] = pa.nulls(len(u), pa.int64() if s == "common_neighbors" else pa.float64())
    return pa.table(cols)


def ppr_table(ids: np.ndarray, sources: list[int], contacts: list[np.ndarray], scores: list[np.ndarray]) -> pa.Table:
    """The ppr.parquet layout (source, contact, score) in person ids."""
    counts = np.array([len(c) for c in contacts], dtype=np.int64)
    return pa.table(
        {
            "source": ids[np.repeat(np.asarray(sources, dtype=np.int64), counts)],
            "contact": ids[np.concatenate(contacts).astype(np.int64)],
            "score": np.concatenate(scores).astype(np.float64),
        }
    )


def _masked(values: np.ndarray, present: np.ndarray, score: str) -> pa.Array:
    """`values` spread over the rows where `present`, null elsewhere."""
    full = np.zeros(len(present), dtype=np.int64 if score == "common_neighbors" else np.float64)
    full[present] = values
    return pa.array(full, mask=~present)


def nested_pairs(ties: Ties, adj: sp.csr_matrix, order: np.ndarray, scores: dict[str, np.ndarray],
                 sizes: dict[str, int]) -> pa.Table:
    """pairs.parquet on the largest target sample any score ran, null where a score did not.

    Each score may have run on a different prefix of the same seeded target order; the
    prefixes are nested, so every score's rows are a subset of the largest one's.
    """
    u, v = friend_pairs(adj, np.sort(order[: max(sizes.values())]))
    keys = u * ties.n + v
    cols: dict[str, pa.Array] = {}
    for score, values in scores.items():
        su, sv = friend_pairs(adj, np.sort(order[: sizes[score]]))
        cols[score] = _masked(values, np.isin(keys, su * ties.n + sv), score)
    return pairs_table(ties.ids, u, v, cols, ("target", "contact"))


def nested_ties(ties: Ties, tie_order: np.ndarray, scores: dict[str, np.ndarray], sizes: dict[str, int]) -> pa.Table:
    """ties.parquet on the largest tie sample any score ran, null where a score did not."""
    pick = np.sort(tie_order[: max(sizes.values())])
    cols = {s: _masked(v, np.isin(pick, tie_order[: sizes[s]]), s) for s, v in scores.items()}
    return pairs_table(ties.ids, ties.src[pick], ties.dst[pick], cols, ("src", "dst"))


def is_prepared(work: str, data: str, targets: str, ppr_targets: str) -> bool:
    """Whether WORK/prepare.json describes the same dataset and sample sizes (run.sh's test)."""
    path = Path(work) / "prepare.json"
    if not path.exists() or not (Path(work) / "ties.parquet").exists():
        return False
    meta = json.loads(path.read_text())
    return (
        Path(str(meta.get("data", ""))).resolve() == Path(data).resolve()
        and int(meta.get("targets", -1)) == int(targets)
        and int(meta.get("ppr_targets", -1)) == int(ppr_targets)
    )
