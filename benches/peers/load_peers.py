"""Event aggregation peers: the I/O floor and the SQL an analyst would write.

Usage: python benches/peers/load_peers.py DATASET_DIR [THREADS] [TIERANK_BINARY]

Prints one line per tool with its wall time and rows/s over `events/*.parquet`:
- tierank (when a binary is given): `tierank -v index` into a temporary snapshot, its
  aggregation's wall time and rows/s as its log prints them, the whole `index`'s user+sys
  CPU seconds; then the open of that snapshot (`rank --data SNAPSHOT`, as its log prints
  it) against the whole fresh load;
- pyarrow: read the five event columns (src, dst, channel, ts, value) into memory;
- polars: the same read;
- duckdb: GROUP BY src, dst, channel with count, sum(value), min/max(ts) and distinct days,
  the per-(directed tie, channel) features tierank folds.
One command runs them all in the same minute, so that the load of the machine is shared.
"""

import glob
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

dataset = sys.argv[1]
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
parts = sorted(glob.glob(os.path.join(dataset, "events", "*.parquet")))
cols = ["src", "dst", "channel", "ts", "value"]
tierank = sys.argv[3] if len(sys.argv) > 3 else None


def run_tierank(args):
    """Runs tierank with -v; returns its stderr and its user+sys CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    out = subprocess.run([tierank, "-v", *args], capture_output=True, text=True, env=env, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out.stderr, cpu


if tierank:
    with tempfile.TemporaryDirectory() as tmp:
        snap = os.path.join(tmp, "graph.tierank-snapshot")
        t = time.perf_counter()
        log, cpu = run_tierank(["index", "--data", dataset, "--out", snap])
        wall = time.perf_counter() - t
        agg = re.search(r"aggregated (\d+) of (\d+) events in ([\d.]+) s", log)
        loaded = re.search(r"heap bytes \(([\d.]+) per directed tie\) in ([\d.]+) s", log)
        rows, secs = int(agg.group(2)), float(agg.group(3))
        print(
            f"tierank  {secs:8.2f} s  {rows / secs / 1e6:7.2f} M rows/s  ({rows} rows; aggregation "
            f"only; whole index {wall:.2f} s wall, {cpu:.2f} CPU-s = {rows / cpu / 1e6:.2f} M "
            f"events per CPU-s; {loaded.group(1)} bytes per directed tie)",
            flush=True,
        )
        out = os.path.join(tmp, "r.parquet")
        log, cpu = run_tierank(
            ["rank", "--data", snap, "--sample", "10", "--heuristics", "volume", "--k", "5", "--out", out]
        )
        opened = float(re.search(r"opened snapshot .* in ([\d.]+) s", log).group(1))
        print(
            f"snapshot {opened:8.3f} s  open (the fresh load: {float(loaded.group(2)):.2f} s, "
            f"{float(loaded.group(2)) / opened:.0f}x); whole `rank` {cpu:.2f} CPU-s",
            flush=True,
        )


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
