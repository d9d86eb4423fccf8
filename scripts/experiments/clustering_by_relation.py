"""Where clustering at degree 100-199 comes from (docs/realism.md, "Clustering near 0.14 at
degree ~100"): the relation mix of egos of degree 100-199, and how often two friends of 300
sampled such egos are friends, by the two friends' relations.

Usage: python clustering_by_relation.py DATASET_DIR   (needs duckdb; reads truth_closeness.parquet)
"""

import sys

import duckdb

con = duckdb.connect()
con.sql("set threads=1")
con.sql(
    "create table t as select target, \"alter\" as alt, relation "
    f"from '{sys.argv[1]}/truth_closeness.parquet'"
)
con.sql(
    "create table mid as select * from t where target in "
    "(select target from t group by target having count(*) between 100 and 199)"
)
print(con.sql(
    "select relation, count(*) / sum(count(*)) over () as share "
    "from mid group by relation order by share desc"
))
con.sql(
    "create table nb as select * from mid where target in "
    "(select distinct target from mid order by hash(target) limit 300)"
)
# Every pair of one ego's friends, by the two relations, and whether the two are friends.
con.sql("""
create table pairs as
select least(n1.relation, n2.relation) a, greatest(n1.relation, n2.relation) b,
       count(*) pairs, count(e.target) tri
from nb n1 join nb n2 on n1.target = n2.target and n1.alt < n2.alt
left join t e on e.target = n1.alt and e.alt = n2.alt
group by all
""")
print(con.sql("select sum(tri) / sum(pairs) as clustering from pairs"))
print(con.sql(
    "select a, b, tri, pairs, round(tri / pairs, 4) dens, "
    "round(tri / sum(tri) over (), 3) tri_share from pairs order by tri desc limit 20"
))
