"""Python call overhead against the CLI: load a dataset and rank N sampled targets, through
`tierank rank` (the binary, writing its Parquet file) and through the Python package
(`tierank.load(...).rank(...)`, returning a pyarrow Table), alternated so that both see the
same machine load. Both sides open the same snapshot when the dataset has one (`tierank
index`). Prints the median wall time of each, the ratio and the load average.

    python benches/python_overhead.py DATA_DIR TIERANK_BIN [--sample 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time

import tierank


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("binary")
    parser.add_argument("--sample", type=int, default=10_000)
    parser.add_argument("--heuristics", default="all")
    parser.add_argument("--k", type=int, default=15)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cli, py = [], []
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "ranks.parquet")
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run(
                [args.binary, "-q", "rank", "--data", args.data, "--sample", str(args.sample),
                 "--heuristics", args.heuristics, "--k", str(args.k), "--out", out, "--force"],
                check=True, stdout=subprocess.DEVNULL,
            )
            cli.append(time.perf_counter() - started)
            started = time.perf_counter()
            table = tierank.load(args.data).rank(
                sample=args.sample, heuristics=args.heuristics, k=args.k
            )
            py.append(time.perf_counter() - started)
            assert table.num_rows > 0
    c, p = statistics.median(cli), statistics.median(py)
    print(f"cli    median {c:.2f}s  runs {[round(x, 2) for x in cli]}")
    print(f"python median {p:.2f}s  runs {[round(x, 2) for x in py]}")
    print(f"python / cli = {p / c:.3f} ({(p / c - 1) * 100:+.1f} %)")
    print(f"load average at start {load_start}, at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
