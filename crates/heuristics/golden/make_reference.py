#!/usr/bin/env python3
"""Reference values for tierank's two-hop heuristics and personalized PageRank.

Computed with networkx (an implementation independent of tierank) on two small real
networks that ship with networkx: Zachary's karate club and Les Miserables.

Rerun from the repository root (networkx 3.6.1 was used for the committed file):

    python3 crates/heuristics/golden/make_reference.py > crates/heuristics/golden/reference.json

The output is deterministic (sorted keys, fixed node order). `crates/heuristics/tests/golden.rs`
reads it and needs nothing else: every graph's edge list with weights is included.

What each field holds, per graph, for every ordered pair (u, v) with v a friend of u:
- common_neighbors: len(nx.common_neighbors(G, u, v))
- jaccard, adamic_adar, resource_allocation: nx.jaccard_coefficient /
  nx.adamic_adar_index / nx.resource_allocation_index with ebunch = the pairs (without
  ebunch networkx would score the non-edges instead).
- overlap: Onnela et al. 2007 neighbourhood overlap, computed here from sets (networkx has
  no function for it); 0 when the denominator is 0.
- dispersion_raw: nx.dispersion(G, u, v, normalized=False)
- dispersion_bk: nx.dispersion(G, u, v, normalized=True, alpha=0.61, b=0, c=5)
  (Backstrom & Kleinberg's parameters, tierank's defaults)
- dispersion_nx: nx.dispersion(G, u, v) with networkx's defaults (alpha=1, b=0, c=0)
- recursive_dispersion: the Backstrom-Kleinberg recursion written out here naively
  (networkx has none), 3 rounds, x divided by its maximum after each round.
- ppr: nx.pagerank(G, alpha=damping, personalization={u: 1}, weight='weight',
  tol=1e-13, max_iter=10000) at each friend v, with damping = (1 - a) / (1 + a) for the
  lazy-walk teleport a = 0.15 (the plain walk's teleport is 2a / (1 + a)). When numpy and
  scipy are missing (nx.pagerank needs them), networkx's pure-Python power iteration
  `_pagerank_python` with the same arguments is used: the same algorithm, no SciPy.
  Its stopping rule is sum_v |x_v - x'_v| < N * tol, so the error is below about
  N * tol / (1 - damping) < 1e-10 on these graphs.

Les Miserables characters are numbered by sorted name (index in sorted(G.nodes)); the
mapping is written under "names".
"""

import itertools
import json
import sys

import networkx as nx

PPR_TELEPORT = 0.15
BK = (0.61, 0.0, 5.0)
ROUNDS = 3


def pagerank(G, **kwargs):
    try:
        import scipy  # noqa: F401  (nx.pagerank needs it)

        return nx.pagerank(G, **kwargs)
    except ImportError:
        from networkx.algorithms.link_analysis.pagerank_alg import _pagerank_python

        return _pagerank_python(G, **kwargs)


def recursive_dispersion(G, u, rounds):
    """Naive Backstrom-Kleinberg recursive dispersion over u's friends (Jacobi rounds)."""
    friends = sorted(G[u])
    nu = set(friends)

    def dispersed(v, s, t):
        if G.has_edge(s, t):
            return False
        inside = (nu & set(G[s]) & set(G[t])) - {u, v}
        return not inside

    x = {v: 1.0 for v in friends}
    for _ in range(rounds):
        new = {}
        for v in friends:
            c = sorted(nu & set(G[v]))
            if not c:
                new[v] = 0.0
                continue
            total = sum(x[w] ** 2 for w in c)
            for s, t in itertools.combinations(c, 2):
                if dispersed(v, s, t):
                    total += 2.0 * x[s] * x[t]
            new[v] = total / len(c)
        top = max(new.values())
        if top > 0:
            new = {v: val / top for v, val in new.items()}
        x = new
    return x


def overlap(G, u, v):
    c = len(set(G[u]) & set(G[v]))
    denom = (G.degree(u) - 1) + (G.degree(v) - 1) - c
    return c / denom if denom > 0 else 0.0


def reference(G):
    assert nx.number_of_selfloops(G) == 0
    nodes = sorted(G.nodes)
    pairs = [(u, v) for u in nodes for v in sorted(G[u])]
    jac = {(u, v): s for u, v, s in nx.jaccard_coefficient(G, ebunch=pairs)}
    aa = {(u, v): s for u, v, s in nx.adamic_adar_index(G, ebunch=pairs)}
    ra = {(u, v): s for u, v, s in nx.resource_allocation_index(G, ebunch=pairs)}
    damping = (1.0 - PPR_TELEPORT) / (1.0 + PPR_TELEPORT)
    rows = []
    for u in nodes:
        rd = recursive_dispersion(G, u, ROUNDS)
        pr = pagerank(
            G,
            alpha=damping,
            personalization={u: 1.0},
            weight="weight",
            tol=1e-13,
            max_iter=10000,
        )
        for v in sorted(G[u]):
            rows.append(
                {
                    "target": u,
                    "friend": v,
                    "common_neighbors": len(list(nx.common_neighbors(G, u, v))),
                    "jaccard": jac[(u, v)],
                    "adamic_adar": aa[(u, v)],
                    "resource_allocation": ra[(u, v)],
                    "overlap": overlap(G, u, v),
                    "dispersion_raw": nx.dispersion(G, u, v, normalized=False),
                    "dispersion_bk": nx.dispersion(
                        G, u, v, normalized=True, alpha=BK[0], b=BK[1], c=BK[2]
                    ),
                    "dispersion_nx": nx.dispersion(G, u, v),
                    "recursive_dispersion": rd[v],
                    "ppr": pr[v],
                }
            )
    edges = [[u, v, float(d["weight"])] for u, v, d in sorted(G.edges(data=True))]
    return {"edges": edges, "pairs": rows}


def main():
    karate = nx.karate_club_graph()
    les = nx.les_miserables_graph()
    names = sorted(les.nodes)
    les_int = nx.relabel_nodes(les, {n: i for i, n in enumerate(names)})
    out = {
        "networkx_version": nx.__version__,
        "ppr_teleport": PPR_TELEPORT,
        "ppr_damping": (1.0 - PPR_TELEPORT) / (1.0 + PPR_TELEPORT),
        "dispersion_bk": list(BK),
        "recursive_dispersion_rounds": ROUNDS,
        "graphs": {
            "karate": reference(karate),
            "les_miserables": dict(reference(les_int), names=names),
        },
    }
    json.dump(out, sys.stdout, sort_keys=True, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
