"""pyarrow: the reference row for `load` (file -> Arrow table), the speed tierank's loader
is measured against (goal: at least half of it)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from common import Recorder, parse_args, repeat


def main() -> None:
    """Time pq.read_table of WORK/ties.parquet."""
    cfg = parse_args(__doc__ or "")
    rec = Recorder(cfg.work, "pyarrow", pa.__version__, pa.cpu_count())
    if "load" in cfg.cases:
        path = cfg.work / "ties.parquet"
        timed = repeat(lambda: pq.read_table(path), cfg.budget)
        rec.record("load", None, timed, timed.output.num_rows, "ties", None, "pq.read_table(ties.parquet)")
    rec.save()


if __name__ == "__main__":
    main()
