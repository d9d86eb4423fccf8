# Where clustering at degree 100-199 comes from: the relation mix of 300 sampled egos of degree
# 100-199 and how often two of their friends are friends, by the two relations (realism.md,
# "Clustering near 0.14 at degree ~100"). Usage: python clustering_by_relation.py DATASET_DIR
# (needs duckdb; reads truth_closeness.parquet).
import duckdb,sys
con=duckdb.connect(); con.sql("set threads=1")
d=sys.argv[1]
con.sql(f"create table t as select target, \"alter\" as alt, relation from '{d}/truth_closeness.parquet'")
con.sql("create table deg as select target, count(*) d from t group by target")
print(con.sql("select relation, count(*)*1.0/(select count(*) from t join deg using(target) where d between 100 and 199) share from t join deg using(target) where d between 100 and 199 group by relation order by share desc"))
con.sql("create table eg as select target from deg where d between 100 and 199 order by hash(target) limit 300")
con.sql("create table nb as select t.target, alt, relation from t join eg using(target)")
con.sql("create index ix on t(target)")
# pairs (a,b) of ego's friends, connected?
con.sql("""create table tri as select n1.target, n1.relation r1, n2.relation r2, count(*) c from nb n1 join nb n2 on n1.target=n2.target and n1.alt<n2.alt
 join t e on e.target=n1.alt and e.alt=n2.alt group by all""")
con.sql("""create table pairs as select n1.target, n1.relation r1, n2.relation r2, count(*) p from nb n1 join nb n2 on n1.target=n2.target and n1.alt<n2.alt group by all""")
print(con.sql("select sum(c)*1.0/(select sum(p) from pairs) C_global from tri"))
print(con.sql("""select least(r1,r2) a, greatest(r1,r2) b, sum(coalesce(c,0)) tri, sum(p) pairs, round(sum(coalesce(c,0))*1.0/sum(p),4) dens, round(sum(coalesce(c,0))*1.0/(select sum(c) from tri),3) tri_share
 from pairs left join tri using(target,r1,r2) group by all order by tri desc limit 20"""))
