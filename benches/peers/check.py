"""Agreement checks: every tool's scores against tierank's (or, while tierank's are missing,
another tool's), and every PPR against the exact solution.

Tolerances: common_neighbors must be equal; jaccard, adamic_adar and resource_allocation
within a relative 1e-9 (1e-6 where either side is float32); top-k lists identical, weights
within the same relative tolerance. PPR: the push methods (tierank, NetworKit) must keep the
Andersen-Chung-Lang bound against the exact solution for every friend of every source,
0 <= exact(v) - score(v) < epsilon * d(v) (d the weighted degree; a 1e-9 allowance for the exact
solution's own error); the exact solvers (igraph, networkx) must reach a mean top-k overlap of
0.99. The top-k overlap with exact is reported for every tool and every epsilon.
Writes WORK/results/check.json (read by report.py) and exits 1 naming each disagreement.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from common import PAIR_SCORES, TIE_SCORES, write_text_atomic

#: Tools compared with the reference, in table order; the first present is the reference.
TOOLS = ("tierank", "networkit", "igraph", "networkx", "duckdb")
REL_TOL = {"float64": 1e-9, "float32": 1e-6}
#: Least mean top-k PPR overlap with exact, by tool (tools not listed are only reported).
PPR_MIN_OVERLAP = {"igraph": 0.99, "networkx": 0.99}
#: Tools whose PPR is the ACL push, checked against its error bound.
PUSH_TOOLS = ("tierank", "networkit")
#: Allowance for the exact solution's own error (power iteration to an L1 change of 1e-12).
EXACT_SLACK = 1e-9


@dataclass
class Finding:
    """The agreement of one (tool, case, score) with its reference."""

    tool: str
    variant: str | None
    case: str
    score: str | None
    reference: str
    compared: int
    agreement: str
    ok: bool
    worst: str | None = None


def read(work: Path, tool: str, name: str) -> pa.Table | None:
    """WORK/results/<tool>/<name>.parquet, or None if that tool did not write it."""
    path = work / "results" / tool / f"{name}.parquet"
    return pq.read_table(path) if path.exists() else None


def keyed(ref: pa.Table, other: pa.Table, keys: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (into ref, into other) of the rows present in both, matched on `keys`."""
    ids = np.unique(np.concatenate([ref.column(k).to_numpy() for k in keys] + [other.column(k).to_numpy() for k in keys]))

    def code(t: pa.Table) -> np.ndarray:
        a, b = (np.searchsorted(ids, t.column(k).to_numpy()) for k in keys)
        return a.astype(np.int64) * len(ids) + b

    rc, oc = code(ref), code(other)
    _, ri, oi = np.intersect1d(rc, oc, return_indices=True)
    return ri, oi


def rel_tol(a: pa.ChunkedArray, b: pa.ChunkedArray) -> tuple[float, str]:
    """The relative tolerance for two score columns, and a word on why."""
    if pa.types.is_float32(a.type) or pa.types.is_float32(b.type):
        return REL_TOL["float32"], " (float32: rel 1e-6)"
    return REL_TOL["float64"], ""


def compare_scores(tool: str, variant: str | None, case: str, ref_name: str, ref: pa.Table, other: pa.Table,
                   keys: tuple[str, str], scores: tuple[str, ...], unit: str) -> list[Finding]:
    """Each score column the tool filled, on the rows where both tables have that score."""
    out: list[Finding] = []
    for score in scores:
        if score not in other.column_names or score not in ref.column_names:
            continue
        mine = other.filter(pc.is_valid(other.column(score)))
        theirs = ref.filter(pc.is_valid(ref.column(score)))
        if mine.num_rows == 0 or theirs.num_rows == 0:
            continue
        ri, oi = keyed(theirs, mine, keys)
        missing = 0
        if case == "pairs":
            # The reference has every pair of its targets, so all pairs of the targets the
            # tool scored must be on both sides. Ties are compared on the overlap of samples.
            wanted = np.isin(theirs.column(keys[0]).to_numpy(), np.unique(mine.column(keys[0]).to_numpy()))
            missing = mine.num_rows - len(oi) + int(wanted.sum()) - len(ri)
        a = theirs.column(score).to_numpy()[ri].astype(np.float64)
        b = mine.column(score).to_numpy()[oi].astype(np.float64)
        diff = np.abs(a - b)
        if score == "common_neighbors":
            bad = int((diff != 0).sum())
            ok, agreement = bad == 0, ("exact" if bad == 0 else f"{bad:,} differ")
            worst_i = int(np.argmax(diff)) if len(diff) else 0
        else:
            tol, why = rel_tol(theirs.column(score), mine.column(score))
            scale = np.maximum(np.abs(a), np.abs(b))
            rel = np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0)
            worst_i = int(np.argmax(rel)) if len(rel) else 0
            ok = bool((rel <= tol).all())
            agreement = f"max abs diff {diff.max() if len(diff) else 0.0:.1e}{why}"
        ok = ok and missing == 0 and len(ri) > 0
        worst = None
        if len(diff) and (not ok or diff[worst_i] > 0):
            k0, k1 = (theirs.column(k).to_numpy()[ri][worst_i] for k in keys)
            worst = (f"{keys[0]} {k0}, {keys[1]} {k1}: {ref_name} {float(a[worst_i])!r}, "
                     f"{tool} {float(b[worst_i])!r}")
        if missing:
            agreement += f"; {missing:,} {unit} missing on one side"
        out.append(Finding(tool, variant, case, score, ref_name, len(ri), agreement + f" ({len(ri):,} {unit})", ok, worst))
    return out


def compare_topk(tool: str, ref_name: str, ref: pa.Table, other: pa.Table) -> Finding:
    """Identical ordered contact lists for the targets the tool ran, weights within tolerance."""
    targets = np.unique(other.column("target").to_numpy())
    ref = ref.filter(pc.is_in(ref.column("target"), pa.array(targets)))
    ref = ref.sort_by([("target", "ascending"), ("rank", "ascending")])
    other = other.sort_by([("target", "ascending"), ("rank", "ascending")])
    same_shape = ref.num_rows == other.num_rows
    if same_shape:
        rt, ot = ref.column("target").to_numpy(), other.column("target").to_numpy()
        rc, oc = ref.column("contact").to_numpy(), other.column("contact").to_numpy()
        rw = ref.column("weight").to_numpy().astype(np.float64)
        ow = other.column("weight").to_numpy().astype(np.float64)
        tol, _ = rel_tol(ref.column("weight"), other.column("weight"))
        scale = np.maximum(np.abs(rw), np.abs(ow))
        bad = (rt != ot) | (rc != oc) | (np.abs(rw - ow) > tol * scale)
    else:
        bad = np.ones(1, dtype=bool)
    if not bad.any():
        return Finding(tool, None, "topk", None, ref_name, len(targets), f"identical ({len(targets):,} lists)", True)
    if not same_shape:
        worst = f"{ref_name} has {ref.num_rows:,} rows for these targets, {tool} {other.num_rows:,}"
    else:
        i = int(np.argmax(bad))
        worst = (f"target {rt[i]} rank {ref.column('rank').to_numpy()[i]}: {ref_name} contact {rc[i]} "
                 f"weight {float(rw[i])!r}, {tool} contact {oc[i]} weight {float(ow[i])!r}")
    return Finding(tool, None, "topk", None, ref_name, len(targets), f"{int(bad.sum()):,} rows differ", False, worst)


def top_sets(table: pa.Table, k: int) -> dict[int, set[int]]:
    """Each source's k friends with the largest score, ties by smaller person id."""
    s = table.column("source").to_numpy()
    c = table.column("contact").to_numpy()
    v = table.column("score").to_numpy().astype(np.float64)
    order = np.lexsort((c, -v, s))
    s, c = s[order], c[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    ends = np.r_[starts[1:], len(s)]
    return {int(s[a]): set(c[a : min(b, a + k)].tolist()) for a, b in zip(starts, ends)}


def weighted_degrees(work: Path) -> tuple[np.ndarray, np.ndarray]:
    """(sorted person ids, weighted degree of each) from WORK/ties.parquet."""
    t = pq.read_table(work / "ties.parquet", columns=["src", "dst", "weight"])
    src, dst = t.column("src").to_numpy(), t.column("dst").to_numpy()
    w = t.column("weight").to_numpy().astype(np.float64)
    ids, inv = np.unique(np.concatenate([src, dst]), return_inverse=True)
    return ids, np.bincount(inv, weights=np.concatenate([w, w]), minlength=len(ids))


def push_bound(exact: pa.Table, other: pa.Table, epsilon: float,
               degrees: tuple[np.ndarray, np.ndarray]) -> tuple[int, str | None]:
    """Rows of `other` outside 0 <= exact - score < epsilon * d(v), and the worst of them."""
    ri, oi = keyed(exact, other, ("source", "contact"))
    sources = exact.column("source").to_numpy()[ri]
    contacts = exact.column("contact").to_numpy()[ri]
    want = exact.column("score").to_numpy().astype(np.float64)[ri]
    have = other.column("score").to_numpy().astype(np.float64)[oi]
    gap = want - have
    ids, deg = degrees
    bound = epsilon * deg[np.searchsorted(ids, contacts)]
    bad = (gap < -EXACT_SLACK) | (gap >= bound + EXACT_SLACK)
    if not bad.any():
        return 0, None
    i = int(np.flatnonzero(bad)[np.argmax(np.abs(gap[bad]) - bound[bad])])
    return int(bad.sum()), (f"source {int(sources[i])}, contact {int(contacts[i])}: exact {want[i]:.6g}, "
                            f"score {have[i]:.6g}, bound {bound[i]:.3g}")


def compare_ppr(tool: str, variant: str | None, exact: pa.Table, other: pa.Table, k: int,
                epsilon: float | None, degrees: tuple[np.ndarray, np.ndarray] | None) -> Finding:
    """Top-k overlap of the tool's PPR with the exact solution, and the push bound for push tools."""
    want, got = top_sets(exact, k), top_sets(other, k)
    overlaps = [len(want[s] & got[s]) / len(want[s]) for s in got if s in want and want[s]]
    if not overlaps:
        return Finding(tool, variant, "ppr", None, "exact", 0, "no source in common with exact", False)
    mean, low = float(np.mean(overlaps)), float(np.min(overlaps))
    agreement = f"top-{k} overlap mean {mean:.3f}, min {low:.3f} ({len(overlaps):,} sources)"
    need = PPR_MIN_OVERLAP.get(tool)
    ok, worst = need is None or mean >= need, None
    if not ok:
        worst = f"mean top-{k} overlap {mean:.3f} < required {need}"
    if epsilon is not None and degrees is not None:
        outside, example = push_bound(exact, other, epsilon, degrees)
        if outside:
            ok = False
            worst = f"{outside:,} scores outside the push bound (epsilon {epsilon:g}); worst: {example}"
        else:
            agreement += f"; within the push bound (epsilon {epsilon:g})"
    return Finding(tool, variant, "ppr", None, "exact", len(overlaps), agreement, ok, worst)


def check(work: Path, k: int) -> list[Finding]:
    """All findings for the results present under WORK/results."""
    present = [t for t in TOOLS if (work / "results" / t / "timings.json").exists()]
    findings: list[Finding] = []
    if not present:
        return findings
    ref_name = present[0]
    for tool in present[1:]:
        for case, keys, scores, unit in (("pairs", ("target", "contact"), PAIR_SCORES, "pairs"),
                                         ("ties", ("src", "dst"), TIE_SCORES, "ties")):
            ref, other = read(work, ref_name, case), read(work, tool, case)
            if ref is not None and other is not None:
                findings += compare_scores(tool, None, case, ref_name, ref, other, keys, scores, unit)
        ref, other = read(work, ref_name, "topk"), read(work, tool, "topk")
        if ref is not None and other is not None:
            findings.append(compare_topk(tool, ref_name, ref, other))
    # Variants (e.g. NetworKit's sparsification Jaccard) are compared with the reference too.
    ref = read(work, ref_name, "ties")
    for tool in present:
        variant = read(work, tool, "ties_sparsification")
        if ref is not None and variant is not None:
            findings += compare_scores(tool, "sparsification", "ties", ref_name, ref, variant, ("src", "dst"), ("jaccard",), "ties")
    exact = read(work, "exact", "ppr")
    prepared = json.loads((work / "prepare.json").read_text())
    degrees = None
    for tool in present:
        # ppr.parquet at the prepared epsilon, ppr_eps<E>.parquet at the other epsilons.
        for path in sorted((work / "results" / tool).glob("ppr*.parquet")):
            variant = None if path.stem == "ppr" else path.stem.removeprefix("ppr_")
            if exact is None:
                findings.append(Finding(tool, variant, "ppr", None, "exact", 0, "exact PPR missing", False))
                continue
            epsilon = None
            if tool in PUSH_TOOLS:
                epsilon = float(variant.removeprefix("eps")) if variant else float(prepared["epsilon"])
                if degrees is None:
                    degrees = weighted_degrees(work)
            findings.append(compare_ppr(tool, variant, exact, pq.read_table(path), k, epsilon, degrees))
    return findings


def main() -> None:
    """Run the checks, write check.json, and exit 1 if anything disagrees."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--work", type=Path, required=True)
    a = p.parse_args()
    k = int(json.loads((a.work / "prepare.json").read_text())["k"])
    findings = check(a.work, k)
    write_text_atomic(a.work / "results" / "check.json", json.dumps([asdict(f) for f in findings], indent=2) + "\n")
    failed = [f for f in findings if not f.ok]
    for f in findings:
        name = f.tool + (f" ({f.variant})" if f.variant else "")
        print(f"{'ok  ' if f.ok else 'FAIL'} {name:<27} {f.case:<6} {f.score or '-':<20} vs {f.reference}: {f.agreement}")
    if not findings:
        print("no results to check", file=sys.stderr)
        sys.exit(1)
    if failed:
        print(f"\n{len(failed)} agreement check(s) failed:", file=sys.stderr)
        for f in failed:
            name = f.tool + (f" ({f.variant})" if f.variant else "")
            print(f"  {name}, case {f.case}, score {f.score or '-'}: {f.agreement}; worst: {f.worst}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
