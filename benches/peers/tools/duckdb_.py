"""DuckDB: every case in plain SQL over read_parquet(WORK/ties.parquet), as an analyst with
only a SQL engine would write it: a symmetric edge table, window functions for top-k,
self-joins for the two-hop scores, and power iteration (a fixed number of SQL steps,
batched over sources) for personalized PageRank."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from common import (
    PAIR_SCORES,
    TIE_SCORES,
    Recorder,
    parse_args,
    plain_damping,
    read_ids,
    repeat,
    sample_label,
    seeded_order,
    sized,
)

#: Power-iteration steps of the SQL PageRank: the L1 error after t steps is at most
#: damping^t, 0.739^30 ≈ 1e-4.
PPR_STEPS = 30

#: Two-hop scores as aggregates over the common neighbours w (joined to their degree k).
AGGREGATES = {
    "common_neighbors": "count(c.w)",
    "jaccard": "count(c.w) / (any_value(du.k) + any_value(dv.k) - count(c.w))",
    "adamic_adar": "coalesce(sum(1.0 / ln(dw.k)), 0.0)",
    "resource_allocation": "coalesce(sum(1.0 / dw.k), 0.0)",
}


def two_hop_sql(score: str, pairs: str, u: str, v: str) -> str:
    """SQL scoring each row (u, v) of the query `pairs`, named `u` and `v` in the output."""
    return f"""
WITH deg AS (SELECT src AS node, count(*) AS k FROM edges GROUP BY src),
p AS ({pairs}),
c AS (SELECT p.u, p.v, a.dst AS w FROM p JOIN edges a ON a.src = p.u
      JOIN edges b ON b.src = p.v AND b.dst = a.dst)
SELECT p.u AS {u}, p.v AS {v}, {AGGREGATES[score]} AS {score}
FROM p LEFT JOIN c ON c.u = p.u AND c.v = p.v
LEFT JOIN deg dw ON dw.node = c.w
JOIN deg du ON du.node = p.u JOIN deg dv ON dv.node = p.v
GROUP BY p.u, p.v ORDER BY p.u, p.v
"""


def ppr_sql(con: duckdb.DuckDBPyConnection, damping: float) -> pa.Table:
    """Power iteration of the plain walk from every row of `sample`, then the friends' scores.

    Each step spreads damping * x over the weighted edges and gives the rest of the mass
    (teleport plus what reached people whose ties all weigh 0) back to the source.
    """
    con.execute("""
CREATE OR REPLACE TEMP TABLE walk AS
WITH strength AS (SELECT src, sum(weight) AS s FROM edges GROUP BY src)
SELECT e.src, e.dst, e.weight / strength.s AS p FROM edges e JOIN strength USING (src)
WHERE strength.s > 0""")
    con.execute("CREATE OR REPLACE TEMP TABLE x AS SELECT person_id AS source, person_id AS node, 1.0 AS score FROM sample")
    for _ in range(PPR_STEPS):
        con.execute(f"""
CREATE OR REPLACE TEMP TABLE x AS
WITH spread AS (SELECT x.source, w.dst AS node, {damping!r} * sum(x.score * w.p) AS score
                FROM x JOIN walk w ON w.src = x.node GROUP BY x.source, w.dst),
back AS (SELECT s.person_id AS source, 1.0 - coalesce(sum(spread.score), 0.0) AS score
         FROM sample s LEFT JOIN spread ON spread.source = s.person_id GROUP BY s.person_id)
SELECT source, node, sum(score) AS score
FROM (SELECT * FROM spread UNION ALL SELECT source, source AS node, score FROM back)
GROUP BY source, node""")
    return con.sql("""
SELECT e.src AS source, e.dst AS contact, coalesce(x.score, 0.0) AS score
FROM edges e JOIN sample s ON e.src = s.person_id
LEFT JOIN x ON x.source = e.src AND x.node = e.dst
ORDER BY source, contact""").to_arrow_table()


def use_sample(con: duckdb.DuckDBPyConnection, table: pa.Table) -> None:
    """Make `table` the SQL table `sample` (a seeded subset of targets, ties or sources)."""
    con.register("sample_arrow", table)
    con.execute("CREATE OR REPLACE TEMP TABLE sample AS SELECT * FROM sample_arrow")
    con.unregister("sample_arrow")


def main() -> None:
    """Run the requested cases and write WORK/results/duckdb/."""
    cfg = parse_args(__doc__ or "")
    con = duckdb.connect()
    threads = int(con.sql("SELECT current_setting('threads')").fetchall()[0][0])
    rec = Recorder(cfg.work, "duckdb", duckdb.__version__, threads)
    path = str(cfg.work / "ties.parquet").replace("'", "''")
    load_sql = f"""
CREATE OR REPLACE TABLE edges AS
SELECT src, dst, weight FROM read_parquet('{path}')
UNION ALL SELECT dst AS src, src AS dst, weight FROM read_parquet('{path}')"""
    timed = repeat(lambda: con.execute(load_sql), cfg.budget)
    m = int(con.sql("SELECT count(*) FROM edges").fetchall()[0][0]) // 2
    if "load" in cfg.cases:
        rec.record("load", None, timed, m, "ties", None, "CREATE TABLE edges AS both directions of read_parquet(ties)")

    targets = read_ids(cfg.work / "targets.parquet")
    order = targets[seeded_order(len(targets), 1)]

    def on_targets(size: int, sql: str) -> pa.Table:
        use_sample(con, pa.table({"person_id": np.sort(order[:size])}))
        return con.sql(sql).to_arrow_table()

    if "topk" in cfg.cases:
        sql = f"""
SELECT e.src AS target, e.dst AS contact,
       row_number() OVER (PARTITION BY e.src ORDER BY e.weight DESC, e.dst) AS rank, e.weight
FROM edges e JOIN sample s ON e.src = s.person_id
QUALIFY rank <= {cfg.k} ORDER BY target, rank"""
        timed = sized(lambda s: on_targets(s, sql), len(order), cfg.budget, start=len(order))
        rec.record("topk", None, timed, timed.size, "targets", sample_label(timed.size, len(order), "targets"),
                   "row_number() OVER (PARTITION BY src ORDER BY weight DESC, dst)")
        rec.table("topk", timed.output.cast(pa.schema([("target", pa.int64()), ("contact", pa.int64()),
                                                       ("rank", pa.int32()), ("weight", pa.float64())])))

    if "pairs" in cfg.cases:
        results: dict[str, pa.Table] = {}
        for score in PAIR_SCORES:
            pairs = "SELECT e.src AS u, e.dst AS v FROM edges e JOIN sample s ON e.src = s.person_id"
            sql = two_hop_sql(score, pairs, "target", "contact")
            timed = sized(lambda s, sql=sql: on_targets(s, sql), len(order), cfg.budget, 16)
            rec.record("pairs", score, timed, timed.output.num_rows, "pairs",
                       sample_label(timed.size, len(order), "targets"), "self-join of edges on the common neighbour, degrees by GROUP BY")
            results[score] = timed.output
        rec.table("pairs", join_nested(results, ("target", "contact"), PAIR_SCORES))

    if "ties" in cfg.cases:
        ties = con.sql("SELECT src, dst FROM read_parquet(?) ORDER BY src, dst", params=[str(cfg.work / "ties.parquet")]).to_arrow_table()
        tie_order = seeded_order(ties.num_rows, 2)

        def on_ties(size: int, sql: str) -> pa.Table:
            use_sample(con, ties.take(np.sort(tie_order[:size])))
            return con.sql(sql).to_arrow_table()

        results = {}
        for score in TIE_SCORES:
            sql = two_hop_sql(score, "SELECT src AS u, dst AS v FROM sample", "src", "dst")
            timed = sized(lambda s, sql=sql: on_ties(s, sql), ties.num_rows, cfg.budget, 1024)
            rec.record("ties", score, timed, timed.size, "ties", sample_label(timed.size, ties.num_rows, "ties"),
                       "self-join of edges on the common neighbour, degrees by GROUP BY")
            results[score] = timed.output
        rec.table("ties", join_nested(results, ("src", "dst"), TIE_SCORES))

    if "ppr" in cfg.cases:
        sources = read_ids(cfg.work / "ppr_targets.parquet")
        src_order = sources[seeded_order(len(sources), 3)]
        damping = plain_damping(cfg.alpha)

        def ppr(size: int) -> pa.Table:
            use_sample(con, pa.table({"person_id": np.sort(src_order[:size])}))
            return ppr_sql(con, damping)

        timed = sized(ppr, len(src_order), cfg.budget, 1)
        rec.record("ppr", None, timed, timed.size, "sources", sample_label(timed.size, len(src_order), "sources"),
                   f"{PPR_STEPS} SQL power-iteration steps (damping {damping:.7f}), all sample sources in one table")
        rec.table("ppr", timed.output)
    rec.save()


def join_nested(results: dict[str, pa.Table], keys: tuple[str, str], scores: tuple[str, ...]) -> pa.Table:
    """One table of all scores on the largest sample, null where a score's smaller sample
    did not reach (the samples are nested prefixes of one seeded order)."""
    out = max(results.values(), key=lambda t: t.num_rows).select(list(keys))
    for score in scores:
        out = out.join(results[score].select([*keys, score]), keys=list(keys), join_type="left outer")
    out = out.sort_by([(keys[0], "ascending"), (keys[1], "ascending")])
    return out.set_column(out.schema.get_field_index(scores[0]), scores[0], out.column(scores[0]).cast(
        pa.int64() if scores[0] == "common_neighbors" else pa.float64()))


if __name__ == "__main__":
    main()
