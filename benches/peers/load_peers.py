"""Event aggregation peers: the I/O floor and the SQL an analyst would write.

Usage: python benches/peers/load_peers.py DATASET_DIR [THREADS]

Prints one line per tool with its wall time and rows/s over `events/*.parquet`:
- pyarrow: read the five event columns (src, dst, channel, ts, value) into memory;
- polars: the same read;
- duckdb: GROUP BY src, dst, channel with count, sum(value), min/max(ts) and distinct days,
  the per-(directed tie, channel) features tierank folds.
Run beside `tierank index -v` (its log prints the aggregation's rows/s) in the same minute.
"""

import glob
import os
import sys
import time

dataset = sys.argv[1]
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
parts = sorted(glob.glob(os.path.join(dataset, "events", "*.parquet")))
cols = ["src", "dst", "channel", "ts", "value"]


def timed(name, f):
    t = time.perf_counter()
    rows = f()
    dt = time.perf_counter() - t
    print(f"{name:8s} {dt:8.2f} s  {rows / dt / 1e6:7.2f} M rows/s  ({rows} rows)", flush=True)


import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

pa.set_cpu_count(threads)
pa.set_io_thread_count(threads)
timed("pyarrow", lambda: sum(pq.read_table(p, columns=cols).num_rows for p in parts))

os.environ["POLARS_MAX_THREADS"] = str(threads)
import polars as pl  # noqa: E402

timed("polars", lambda: pl.scan_parquet(parts).select(cols).collect().height)

import duckdb  # noqa: E402

con = duckdb.connect()
con.execute(f"SET threads = {threads}")
glob_path = os.path.join(dataset, "events", "*.parquet")
query = f"""
SELECT count(*) FROM (
  SELECT src, dst, channel, count(*) AS n, sum(value) AS value_sum,
         min(ts) AS first_ts, max(ts) AS last_ts, count(DISTINCT CAST(ts AS DATE)) AS days
  FROM read_parquet('{glob_path}') GROUP BY src, dst, channel)
"""
rows = con.execute(f"SELECT count(*) FROM read_parquet('{glob_path}')").fetchone()[0]
timed("duckdb", lambda: (con.execute(query).fetchone(), rows)[1])
