"""Reference values for the tierank-stats unit tests, computed with networkx 3.6.1.

Run: python3 crates/stats/tests/reference/networkx_reference.py

The graph is Zachary's karate club as networkx ships it (34 people, 78 ties, `weight` =
number of interaction contexts). numpy is not installed here, so the degree assortativity
is the Pearson correlation of the degrees at both ends of every edge, taken in both
orientations (Newman 2002), computed with `statistics.correlation`: the same definition
as `nx.degree_assortativity_coefficient`. Neighbourhood overlap follows Onnela et al. 2007:
O_uv = |C_uv| / ((k_u - 1) + (k_v - 1) - |C_uv|).
"""

import json
import statistics

import networkx as nx

G = nx.karate_club_graph()
deg = dict(G.degree())
clust = nx.clustering(G)

BUCKETS = [(1, 9), (10, 49), (50, 99), (100, 199), (200, 499), (500, None)]


def bucket_means():
    out = []
    for lo, hi in BUCKETS:
        vals = [clust[u] for u in G if deg[u] >= lo and (hi is None or deg[u] <= hi)]
        out.append([lo, hi, len(vals), statistics.fmean(vals) if vals else None])
    return out


xs, ys = [], []
for u, v in G.edges():
    xs += [deg[u], deg[v]]
    ys += [deg[v], deg[u]]


def overlap(u, v):
    c = len(set(G[u]) & set(G[v]))
    den = (deg[u] - 1) + (deg[v] - 1) - c
    return c / den if den > 0 else None


overlaps = {f"{min(u, v)}-{max(u, v)}": overlap(u, v) for u, v in G.edges()}
degrees = sorted(deg.values())
print(
    json.dumps(
        {
            "nodes": G.number_of_nodes(),
            "edges": G.number_of_edges(),
            "average_clustering": nx.average_clustering(G),
            "clustering_0_33_2": [clust[0], clust[33], clust[2]],
            "clustering_buckets": bucket_means(),
            "assortativity": statistics.correlation(xs, ys),
            "degree_median": statistics.median(degrees),
            "degree_mean": statistics.fmean(degrees),
            "degree_max": max(degrees),
            "overlap_0_1": overlaps["0-1"],
            "overlap_32_33": overlaps["32-33"],
            "overlap_0_31": overlaps["0-31"],
            "overlap_mean": statistics.fmean(o for o in overlaps.values() if o is not None),
            "weight_0_1": G[0][1]["weight"],
            "triangles_total": sum(nx.triangles(G).values()) // 3,
        },
        indent=1,
    )
)
