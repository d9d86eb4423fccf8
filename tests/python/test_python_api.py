"""The Python package (crates/py, module `tierank`) against the CLI: each call returns
exactly what the binary writes for the same inputs, bad input raises the package's
ValueError subclass with the CLI's message, and result tables reach polars and DuckDB
through the Arrow C data interface without a copy.

Skipped when the package is not installed (scripts/python-tests.sh installs it into .venv).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import RANK_K, SAMPLE, SEED, SELECT_K, run_tierank

tr = pytest.importorskip("tierank", reason="the tierank Python package is not installed")


def decoded(table: pa.Table) -> pa.Table:
    """The table with its dictionary columns decoded. The tables of the package hold the
    dictionary the writer was given (every value, sorted); a Parquet reader builds its own
    from the file's dictionary pages (values in order of appearance): the same values,
    another encoding."""
    columns = [
        pa.compute.cast(c, c.type.value_type) if pa.types.is_dictionary(c.type) else c
        for c in table.columns
    ]
    return pa.table(columns, names=table.column_names)


@pytest.fixture(scope="session")
def graph(dataset: Path):
    return tr.load(dataset)


def test_load_counts_people_and_ties(graph, dataset: Path) -> None:
    persons = pq.read_table(dataset / "persons.parquet")
    assert graph.num_people == persons.num_rows
    ties = pq.read_table(dataset / "ties.parquet")
    assert 0 < graph.num_ties <= ties.num_rows
    ids = persons.column("person_id").to_pylist()[:5]
    degrees = graph.degree(ids)
    assert len(degrees) == 5 and all(d >= 0 for d in degrees)


def test_rank_equals_the_cli_parquet(graph, rankings: Path) -> None:
    table = graph.rank(sample=SAMPLE, heuristics="all", k=RANK_K, seed=SEED)
    cli = pq.read_table(rankings)
    # Columns, types, schema metadata (the event window) and rows: the batches come from
    # the builder that made the file's.
    assert table.schema.metadata == cli.schema.metadata
    assert b"tierank.event_window" in table.schema.metadata
    assert table.equals(cli, check_metadata=True)


def test_rank_takes_targets_as_list_numpy_or_arrow(graph, rankings: Path) -> None:
    import numpy as np

    cli = pq.read_table(rankings)
    targets = cli.column("target").unique().to_pylist()[:5]
    expected = graph.rank(targets=targets, heuristics="volume", k=3)
    assert expected.num_rows > 0
    for given in (np.array(targets, dtype=np.int64), pa.array(targets, pa.int64())):
        assert graph.rank(targets=given, heuristics="volume", k=3).equals(expected)


def test_compare_returns_the_metrics_the_cli_writes(
    tierank: Path, dataset: Path, workdir: Path
) -> None:
    out = workdir / "py-compare"
    metrics = tr.compare(dataset, out=out, sample=SAMPLE, resamples=20, seed=SEED)
    cli_out = workdir / "cli-compare"
    run_tierank(
        tierank, "compare", "--data", dataset, "--sample", str(SAMPLE), "--resamples", "20",
        "--seed", str(SEED), "--out", cli_out,
    )
    cli = pq.read_table(cli_out / "metrics.parquet")
    # Wall times differ between runs; every other row is identical.
    keep = lambda t: t.filter(pa.compute.not_equal(t.column("metric"), "wall_seconds"))
    assert metrics.schema == cli.schema
    assert decoded(keep(metrics)).equals(decoded(keep(cli)))
    assert (out / "report.html").is_file()


def test_select_returns_the_tables_and_audit_the_cli_writes(
    tierank: Path, dataset: Path, selection: Path, workdir: Path
) -> None:
    targets = workdir / "select_targets.parquet"
    result = tr.select(
        dataset, targets, "persistence", f"top-k:{SELECT_K}", out=workdir / "py-selection"
    )
    for name in ("audiences", "exposure"):
        cli = pq.read_table(selection / f"{name}.parquet")
        assert result[name].schema == cli.schema, name
        assert decoded(result[name]).equals(decoded(cli)), name
    assert result["audit"]["counts"] == __import__("json").loads(
        (selection / "audit.json").read_text()
    )["counts"]
    # The Python call's audit verifies with the CLI: it records the request.
    done = subprocess.run(
        [str(tierank), "audit", "verify", str(workdir / "py-selection")],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_bad_input_raises_a_value_error_with_the_cli_message(
    graph, tierank: Path, dataset: Path, workdir: Path
) -> None:
    with pytest.raises(tr.BadInputError) as caught:
        graph.rank(sample=5, heuristics="volum", k=3)
    assert isinstance(caught.value, ValueError)
    done = subprocess.run(
        [str(tierank), "rank", "--data", str(dataset), "--sample", "5", "--heuristics", "volum",
         "--k", "3", "--out", str(workdir / "never.parquet")],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {caught.value}"
    with pytest.raises(ValueError, match="not a file"):
        graph.rank(sample=5, heuristics="volume", k=3, model=workdir / "missing.json")
    with pytest.raises(tr.BadInputError):
        tr.load(workdir / "no-such-dataset")


def test_tables_go_to_polars_and_duckdb_without_copying(graph) -> None:
    import duckdb
    import polars as pl

    ranked = graph.rank(sample=10, heuristics="volume,ppr", k=5)
    assert ranked.column("score").num_chunks == 1
    scores = ranked.column("score").chunk(0)
    frame = pl.from_arrow(ranked, rechunk=False)
    # polars keeps the Arrow buffer: same address, no copy.
    back = frame["score"].to_arrow()
    back = back.chunk(0) if isinstance(back, pa.ChunkedArray) else back
    assert back.buffers()[1].address == scores.buffers()[1].address
    assert frame.height == ranked.num_rows
    # DuckDB scans the table through the Arrow stream interface.
    con = duckdb.connect()
    assert con.execute("select count(*) from ranked").fetchone()[0] == ranked.num_rows


def test_stats_returns_the_report(dataset: Path) -> None:
    report = tr.stats(dataset)
    assert report["realism_checks"]
