"""Real-client checks: every Parquet file tierank writes is read by pyarrow, pandas, polars and
DuckDB without casts, with the documented types, the manifest's row counts and checksums, and
the documented ranking and metric conventions (docs/data-model.md, docs/comparing.md).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from conftest import RANK_K, SELECT_K, SELECT_TARGETS

# Column kinds of the contract (crates/format/src/schema.rs).
ID = "id"  # person, group ids and counts: Int64
I32 = "int32"
I8 = "int8"
F64 = "float64"
TS = "timestamp"  # Timestamp(ms, UTC)
STR = "string"  # closed vocabulary: Dictionary(Int8, Utf8)
BOOL = "bool"

PERSONS = [("person_id", ID, False), ("region", I32, False), ("age_band", STR, False),
           ("joined_at", TS, False)]
TIES = [("src", ID, False), ("dst", ID, False), ("formed_at", TS, True)]
EVENTS = [("src", ID, False), ("dst", ID, False), ("channel", STR, False), ("ts", TS, False),
          ("value", F64, True), ("group_id", ID, True)]
GROUPS = [("group_id", ID, False), ("kind", STR, False), ("created_at", TS, False)]
GROUP_MEMBERS = [("group_id", ID, False), ("person_id", ID, False)]
CLOSENESS = [("target", ID, False), ("alter", ID, False), ("layer", I8, False),
             ("relation", STR, False), ("closeness", F64, False)]
TRUTH_PERSONS = [("person_id", ID, False), ("household_id", ID, False),
                 ("workplace_id", ID, True), ("school_id", ID, True),
                 ("account_type", STR, False), ("activity", F64, False),
                 ("evader", BOOL, False)]
RANKINGS = [("target", ID, False), ("heuristic", STR, False), ("rank", I32, False),
            ("alter", ID, False), ("score", F64, False)]
METRICS = [("heuristic", STR, False), ("k", I32, True), ("metric", STR, False),
           ("value", F64, False), ("ci_low", F64, True), ("ci_high", F64, True),
           ("stratum", STR, False), ("num_targets", ID, False)]
PER_TARGET = [("target", ID, False), ("degree", ID, False), ("degree_bucket", STR, False),
              ("heuristic", STR, False), ("k", I32, True), ("metric", STR, False),
              ("stratum", STR, False), ("value", F64, False)]
AGREEMENT = [("heuristic_a", STR, False), ("heuristic_b", STR, False), ("k", I32, True),
             ("measure", STR, False), ("value", F64, False), ("ci_low", F64, True),
             ("ci_high", F64, True), ("num_targets", ID, False)]
AUDIENCES = [("target", ID, False), ("alter", ID, False), ("selection_rank", I32, False),
             ("score", F64, False), ("probability", F64, True), ("reason", STR, False)]
EXPOSURE = [("target", ID, False), ("num_candidates", ID, False), ("num_selected", ID, False),
            ("expected_collateral", F64, True)]


@dataclass(frozen=True)
class Output:
    """One Parquet output: the fixture giving its directory (or file) and its place in it."""

    fixture: str
    relative: str  # a path, a glob, or "" when the fixture is the file itself
    columns: list[tuple[str, str, bool]]

    @property
    def id(self) -> str:
        return f"{self.fixture}:{self.relative or 'file'}"

    def paths(self, request: pytest.FixtureRequest) -> list[Path]:
        root = Path(request.getfixturevalue(self.fixture))
        if not self.relative:
            return [root]
        if "*" in self.relative:
            found = sorted(root.glob(self.relative))
            assert found, f"no file matches {root / self.relative}"
            return found
        return [root / self.relative]


OUTPUTS = [
    Output("dataset", "persons.parquet", PERSONS),
    Output("dataset", "ties.parquet", TIES),
    Output("dataset", "events/part-*.parquet", EVENTS),
    Output("dataset", "groups.parquet", GROUPS),
    Output("dataset", "group_members.parquet", GROUP_MEMBERS),
    Output("dataset", "truth_closeness.parquet", CLOSENESS),
    Output("dataset", "truth_persons.parquet", TRUTH_PERSONS),
    Output("rankings", "", RANKINGS),
    Output("report", "metrics.parquet", METRICS),
    Output("report", "per_target.parquet", PER_TARGET),
    Output("report", "rankings.parquet", RANKINGS),
    Output("report", "agreement.parquet", AGREEMENT),
    Output("selection", "audiences.parquet", AUDIENCES),
    Output("selection", "exposure.parquet", EXPOSURE),
]

CLIENTS = ["pyarrow", "pandas", "polars", "duckdb"]


def expected_rows(request: pytest.FixtureRequest, output: Output, path: Path) -> int:
    """The manifest's row count for a dataset file; the Parquet footer's otherwise (each
    client must then agree with it)."""
    if output.fixture == "dataset":
        root = Path(request.getfixturevalue("dataset"))
        manifest = json.loads((root / "manifest.json").read_text())
        relative = path.relative_to(root).as_posix()
        [entry] = [f for f in manifest["files"] if f["path"] == relative]
        return entry["rows"]
    return pq.ParquetFile(path).metadata.num_rows


def sql_path(path: Path) -> str:
    """A path as a SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def check_pyarrow(path: Path, columns, rows: int) -> None:
    table = pq.read_table(path)
    assert table.schema.names == [c[0] for c in columns]
    expected = {ID: pa.int64(), I32: pa.int32(), I8: pa.int8(), F64: pa.float64(),
                TS: pa.timestamp("ms", tz="UTC"), STR: pa.dictionary(pa.int8(), pa.string()),
                BOOL: pa.bool_()}
    for name, kind, nullable in columns:
        field = table.schema.field(name)
        assert field.type == expected[kind], f"{name}: {field.type}"
        assert field.nullable == nullable, f"{name}: nullable={field.nullable}"
        if not nullable:
            assert table.column(name).null_count == 0, name
    assert table.num_rows == rows


def check_pandas(path: Path, columns, rows: int) -> None:
    frame = pd.read_parquet(path)
    assert list(frame.columns) == [c[0] for c in columns]
    nullable_frame = None
    for name, kind, _ in columns:
        dtype = frame[name].dtype
        if kind in (ID, I32, I8):
            numpy_name = {ID: "int64", I32: "int32", I8: "int8"}[kind]
            if frame[name].isna().any():
                # pandas' default backend holds integers with nulls as float64; its nullable
                # backend keeps the exact integer type.
                assert dtype == np.float64, f"{name}: {dtype}"
                if nullable_frame is None:
                    nullable_frame = pd.read_parquet(path, dtype_backend="numpy_nullable")
                assert str(nullable_frame[name].dtype) == numpy_name.capitalize(), name
            else:
                assert dtype == np.dtype(numpy_name), f"{name}: {dtype}"
        elif kind == F64:
            assert dtype == np.float64, f"{name}: {dtype}"
        elif kind == BOOL:
            assert dtype == np.bool_, f"{name}: {dtype}"
        elif kind == TS:
            assert dtype == pd.DatetimeTZDtype(unit="ms", tz="UTC"), f"{name}: {dtype}"
        else:
            if isinstance(dtype, pd.CategoricalDtype):
                assert all(isinstance(c, str) for c in dtype.categories), name
            else:
                assert pd.api.types.is_string_dtype(dtype), f"{name}: {dtype}"
    assert len(frame) == rows


def check_polars(path: Path, columns, rows: int) -> None:
    frame = pl.read_parquet(path)
    assert frame.columns == [c[0] for c in columns]
    expected = {ID: pl.Int64, I32: pl.Int32, I8: pl.Int8, F64: pl.Float64,
                TS: pl.Datetime("ms", "UTC"), BOOL: pl.Boolean}
    for name, kind, _ in columns:
        dtype = frame.schema[name]
        if kind == STR:
            assert dtype in (pl.Categorical, pl.String), f"{name}: {dtype}"
        else:
            assert dtype == expected[kind], f"{name}: {dtype}"
    assert frame.height == rows


def check_duckdb(path: Path, columns, rows: int) -> None:
    con = duckdb.connect()
    relation = con.sql(f"select * from read_parquet({sql_path(path)})")
    assert relation.columns == [c[0] for c in columns]
    expected = {ID: "BIGINT", I32: "INTEGER", I8: "TINYINT", F64: "DOUBLE",
                TS: "TIMESTAMP WITH TIME ZONE", STR: "VARCHAR", BOOL: "BOOLEAN"}
    types = dict(zip(relation.columns, map(str, relation.types)))
    for name, kind, _ in columns:
        assert types[name] == expected[kind], f"{name}: {types[name]}"
    [(count,)] = con.sql(f"select count(*) from read_parquet({sql_path(path)})").fetchall()
    assert count == rows


CHECKS = {"pyarrow": check_pyarrow, "pandas": check_pandas, "polars": check_polars,
          "duckdb": check_duckdb}


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("output", OUTPUTS, ids=lambda o: o.id)
def test_client_reads_documented_types(request, output: Output, client: str) -> None:
    for path in output.paths(request):
        CHECKS[client](path, output.columns, expected_rows(request, output, path))


def read_as_arrow(client: str, path: Path, columns) -> pa.Table:
    """What the client read, handed over as Arrow."""
    if client == "pyarrow":
        return pq.read_table(path)
    if client == "pandas":
        frame = pd.read_parquet(path)
        nullable_ints = [name for name, kind, nullable in columns
                         if nullable and kind in (ID, I32, I8)]
        if nullable_ints:
            # pandas' default backend holds an integer column with nulls as float64, exact only
            # below 2**53, and tierank's ids are 63-bit: such columns (events' group_id, the
            # truth's workplace_id) must be read with the nullable backend, as an analyst must.
            exact = pd.read_parquet(path, columns=nullable_ints, dtype_backend="numpy_nullable")
            frame[nullable_ints] = exact
        return pa.Table.from_pandas(frame, preserve_index=False)
    if client == "polars":
        return pl.read_parquet(path).to_arrow()
    # A plain scan keeps the file's row order (DuckDB preserves insertion order).
    return duckdb.connect().sql(f"select * from read_parquet({sql_path(path)})").to_arrow_table()


def canonical(table: pa.Table, columns) -> pa.Table:
    """Each column in one representation per kind, so that values can be compared. The casts
    are safe: one that would change a value (a fractional id, a sub-millisecond time) fails."""
    target = {ID: pa.int64(), I32: pa.int32(), I8: pa.int8(), F64: pa.float64(),
              TS: pa.timestamp("ms", tz="UTC"), STR: pa.string(), BOOL: pa.bool_()}
    return pa.table({name: pc.cast(table.column(name), target[kind], safe=True)
                     for name, kind, _ in columns})


@pytest.mark.parametrize("output", OUTPUTS, ids=lambda o: o.id)
def test_clients_read_the_same_values_in_the_same_order(request, output: Output) -> None:
    for path in output.paths(request):
        reference = canonical(read_as_arrow("pyarrow", path, output.columns), output.columns)
        for client in CLIENTS[1:]:
            other = canonical(read_as_arrow(client, path, output.columns), output.columns)
            assert other.num_rows == reference.num_rows, f"{client}: {path.name}"
            for name in reference.column_names:
                assert other.column(name).equals(reference.column(name)), (
                    f"{client} reads other values of {name} than pyarrow in {path.name}")


DOUBLE_OUTPUTS = [o for o in OUTPUTS if any(kind == F64 for _, kind, _ in o.columns)]


@pytest.mark.parametrize("output", DOUBLE_OUTPUTS, ids=lambda o: o.id)
def test_double_columns_carry_min_max_statistics_every_client_reads(
        request, output: Output) -> None:
    """Every DOUBLE column chunk that holds a value has min/max statistics that pyarrow sees
    (`has_min_max`: parquet-rs writes the IEEE 754 total order pyarrow does not know, and
    tierank_format::footer sets the type-defined order), equal to the chunk's true bounds;
    DuckDB reads the same bounds, and a filter on the column (where readers skip row groups
    by these statistics) returns the same rows in pyarrow, polars and DuckDB."""
    doubles = [name for name, kind, _ in output.columns if kind == F64]
    for path in output.paths(request):
        parquet = pq.ParquetFile(path)
        meta = parquet.metadata
        con = duckdb.connect()
        duck = {(rg, column): (low, high) for rg, column, low, high in con.sql(
            "select row_group_id, path_in_schema, stats_min_value, stats_max_value "
            f"from parquet_metadata({sql_path(path)})").fetchall()}
        for name in doubles:
            index = parquet.schema_arrow.get_field_index(name)
            for rg in range(meta.num_row_groups):
                values = parquet.read_row_group(rg, columns=[name]).column(0)
                values = pc.drop_null(values)
                values = pc.filter(values, pc.invert(pc.is_nan(values)))
                where = f"{path.name}:{name} row group {rg}"
                if len(values) == 0:
                    continue
                stats = meta.row_group(rg).column(index).statistics
                assert stats is not None and stats.has_min_max, f"{where}: pyarrow sees no min/max"
                low, high = pc.min_max(values).values()
                assert (stats.min, stats.max) == (low.as_py(), high.as_py()), where
                duck_low, duck_high = duck[(rg, name)]
                assert (float(duck_low), float(duck_high)) == (stats.min, stats.max), where
            # Row-group skipping must never drop a matching row: the same count everywhere
            # (NaN left out: DuckDB and polars order it above every number, Arrow does not).
            column = pq.read_table(path, columns=[name]).column(0)
            present = pc.drop_null(column)
            if len(present) == 0:
                continue
            cut = float(pc.approximate_median(present).as_py())
            want = pc.sum(pc.greater(present, cut)).as_py() or 0
            got_polars = pl.scan_parquet(path) \
                .filter((pl.col(name) > cut) & pl.col(name).is_not_nan()).select(pl.len()) \
                .collect().item()
            [(got_duckdb,)] = con.sql(
                f"select count(*) from read_parquet({sql_path(path)}) where \"{name}\" > $cut "
                f"and not isnan(\"{name}\")",
                params={"cut": cut}).fetchall()
            assert got_polars == want and got_duckdb == want, (
                f"{path.name}:{name} > {cut}: pyarrow {want}, polars {got_polars}, "
                f"DuckDB {got_duckdb}")


def table_of(relative: str) -> str:
    """The manifest's table name of a dataset file: its file name (one table per path)."""
    if relative.startswith("events/"):
        return "events"
    return relative.removesuffix(".parquet")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def test_dataset_manifest_matches_files(dataset: Path) -> None:
    manifest = json.loads((dataset / "manifest.json").read_text())
    on_disk = sorted(p.relative_to(dataset).as_posix() for p in dataset.rglob("*.parquet"))
    listed = [f["path"] for f in manifest["files"]]
    assert listed == on_disk, "manifest files are the dataset's Parquet files, sorted by path"
    totals: dict[str, int] = {}
    for entry in manifest["files"]:
        path = dataset / entry["path"]
        assert path.stat().st_size == entry["bytes"], entry["path"]
        assert sha256(path) == entry["sha256"], entry["path"]
        assert pq.ParquetFile(path).metadata.num_rows == entry["rows"], entry["path"]
        table = table_of(entry["path"])
        totals[table] = totals.get(table, 0) + entry["rows"]
    assert totals == manifest["row_counts"]
    # The glob the documentation suggests counts every event.
    [(events,)] = duckdb.sql(
        f"select count(*) from read_parquet({sql_path(dataset / 'events' / '*.parquet')})"
    ).fetchall()
    assert events == manifest["row_counts"]["events"] > 0


# Every table of a dataset by the path an analyst hands to a reader: a file, or for the
# events the directory of parts. Spark's `spark.read.parquet(PATH)` reads a directory as the
# union of every Parquet file under it, like `pyarrow.dataset` and polars' directory scan.
DATASET_TABLES = [
    ("persons.parquet", PERSONS),
    ("ties.parquet", TIES),
    ("events", EVENTS),
    ("groups.parquet", GROUPS),
    ("group_members.parquet", GROUP_MEMBERS),
    ("truth_closeness.parquet", CLOSENESS),
    ("truth_persons.parquet", TRUTH_PERSONS),
]


def all_null_rows(table: pa.Table) -> int:
    """Rows where every column is null: what a union of two tables' schemas leaves."""
    if table.num_columns == 0:
        return table.num_rows
    mask = pc.is_null(table.column(0))
    for column in table.columns[1:]:
        mask = pc.and_(mask, pc.is_null(column))
    return pc.sum(mask.cast(pa.int64())).as_py() or 0


@pytest.mark.parametrize("relative,columns", DATASET_TABLES, ids=[t[0] for t in DATASET_TABLES])
def test_each_table_path_reads_as_exactly_that_table(dataset: Path, relative: str, columns) -> None:
    """pyarrow.dataset, polars and DuckDB over the table's path give exactly its documented
    columns and rows, with no all-null row (output format 1 kept two truth tables in one
    `truth/` directory, which read as their union)."""
    import pyarrow.dataset as ds

    path = dataset / relative
    names = [c[0] for c in columns]
    manifest = json.loads((dataset / "manifest.json").read_text())
    rows = manifest["row_counts"][table_of(relative if path.is_file() else relative + "/")]
    arrow = ds.dataset(path, format="parquet").to_table()
    assert arrow.column_names == names
    assert arrow.num_rows == rows
    assert all_null_rows(arrow) == 0
    glob = path / "*.parquet" if path.is_dir() else path
    frame = pl.read_parquet(glob)
    assert frame.columns == names and frame.height == rows
    described = duckdb.sql(f"select * from read_parquet({sql_path(glob)}) limit 0").columns
    assert described == names


def test_every_directory_of_a_dataset_is_one_table(dataset: Path) -> None:
    """The only directory of a dataset is `events/`: no directory mixes tables."""
    directories = sorted(p.name for p in dataset.iterdir() if p.is_dir())
    assert directories == ["events"]


def test_the_truth_joins_rankings_and_audiences_without_renaming(
        dataset: Path, rankings: Path, selection: Path) -> None:
    """One name per concept: the truth, rankings and audiences share their key columns, so
    `JOIN USING (target, alter)` works on every pair."""
    con = duckdb.connect()
    truth = sql_path(dataset / "truth_closeness.parquet")
    ranked = sql_path(rankings)
    audiences = sql_path(selection / "audiences.parquet")
    [(joined, ranked_rows)] = con.sql(f"""
        select count(t.layer), count(*)
        from read_parquet({ranked}) r join read_parquet({truth}) t using (target, alter)
    """).fetchall()
    assert joined == ranked_rows > 0, "every ranked friend has a truth row"
    [(strangers, notices)] = con.sql(f"""
        select count(*) filter (where t.layer > 3), count(*)
        from read_parquet({audiences}) a join read_parquet({truth}) t using (target, alter)
    """).fetchall()
    assert notices > 0 and 0 <= strangers <= notices
    [(both,)] = con.sql(f"""
        select count(*) from read_parquet({audiences}) a
        join read_parquet({ranked}) r using (target, alter)
        where r.heuristic = 'persistence'
    """).fetchall()
    assert both == notices, "the audience is drawn from the same heuristic's ranking"


FRIENDS_SQL = """
    select src as person, dst as friend from read_parquet({ties}) where src <> dst
    union
    select dst, src from read_parquet({ties}) where src <> dst
"""


def degrees(con: duckdb.DuckDBPyConnection, dataset: Path) -> pd.DataFrame:
    """Every person's number of distinct friends (0 for people without ties)."""
    friends = FRIENDS_SQL.format(ties=sql_path(dataset / "ties.parquet"))
    return con.sql(f"""
        with friends as ({friends})
        select p.person_id, count(f.friend) as degree
        from read_parquet({sql_path(dataset / 'persons.parquet')}) p
        left join friends f on f.person = p.person_id
        group by p.person_id order by p.person_id
    """).df()


RANKING_FILES = [("rankings", ""), ("report", "rankings.parquet")]


@pytest.fixture(params=RANKING_FILES, ids=["rank", "compare"])
def ranking_file(request) -> Path:
    fixture, relative = request.param
    root = Path(request.getfixturevalue(fixture))
    return root / relative if relative else root


def test_rankings_are_contiguous_sorted_and_tie_broken_by_alter(ranking_file: Path) -> None:
    frame = pd.read_parquet(ranking_file)
    assert len(frame) > 0
    assert not frame["score"].isna().any(), "a heuristic wrote NaN"
    groups = frame.groupby(["target", "heuristic"], observed=True)
    sizes = groups.size()
    assert (groups["rank"].min() == 1).all()
    assert (groups["rank"].max() == sizes).all()
    assert (groups["rank"].nunique() == sizes).all()
    assert (groups["alter"].nunique() == sizes).all(), "an alter is ranked twice"
    assert not (frame["alter"] == frame["target"]).any()
    ordered = frame.sort_values(["target", "heuristic", "rank"], kind="stable")
    same = ordered.groupby(["target", "heuristic"], observed=True)
    previous_score = same["score"].shift()
    previous_alter = same["alter"].shift()
    has_previous = previous_score.notna()
    assert (previous_score[has_previous] >= ordered["score"][has_previous]).all(), (
        "scores increase with rank")
    tied = has_previous & (previous_score == ordered["score"])
    assert tied.any(), "no tied scores: the tie-breaking rule was not exercised"
    assert (previous_alter[tied] < ordered["alter"][tied]).all(), (
        "equal scores not ordered by ascending alter")
    # Every target is ranked under the same heuristics.
    per_target = frame.groupby("target", observed=True)["heuristic"].nunique()
    assert per_target.nunique() == 1


def test_every_ranked_alter_is_a_friend(ranking_file: Path, dataset: Path) -> None:
    con = duckdb.connect()
    friends = FRIENDS_SQL.format(ties=sql_path(dataset / "ties.parquet"))
    [(strangers, rows)] = con.sql(f"""
        with friends as ({friends}), r as (select * from read_parquet({sql_path(ranking_file)}))
        select count(*) filter (where not exists (
                   select 1 from friends f where f.person = r.target and f.friend = r.alter)),
               count(*)
        from r
    """).fetchall()
    assert rows > 0
    assert strangers == 0, f"{strangers} ranked alters are not friends of their target"


def test_rank_keeps_min_k_degree_friends(rankings: Path, dataset: Path) -> None:
    con = duckdb.connect()
    degree = degrees(con, dataset).set_index("person_id")["degree"]
    frame = pd.read_parquet(rankings)
    sizes = frame.groupby(["target", "heuristic"], observed=True).size().rename("n").reset_index()
    sizes["degree"] = sizes["target"].map(degree)
    assert sizes["degree"].notna().all(), "a target is not in persons.parquet"
    assert (sizes["n"] == np.minimum(RANK_K, sizes["degree"])).all()
    assert "persistence" in set(frame["heuristic"])


def spearman(a: pd.Series, b: pd.Series) -> float:
    """Spearman's rho: Pearson's correlation of the average ranks."""
    return a.rank().corr(b.rank())


def test_person_ids_carry_no_structure(dataset: Path) -> None:
    """Ids must not leak who is central or who is close: a model fed ids learns nothing."""
    con = duckdb.connect()
    frame = degrees(con, dataset)
    assert len(frame) == 1000 and frame["degree"].gt(0).sum() > 900
    # With 1,000 people the standard error of rho is about 0.03.
    assert abs(spearman(frame["person_id"].astype(float), frame["degree"])) < 0.1
    truth = con.sql(f"""
        select abs(target::double - alter::double) as distance, layer
        from read_parquet({sql_path(dataset / 'truth_closeness.parquet')})
    """).df()
    assert abs(spearman(truth["distance"], truth["layer"])) < 0.05


def test_select_top_k_is_the_top_of_the_ranking(selection: Path, rankings: Path,
                                                 dataset: Path, workdir: Path) -> None:
    """With no opt-outs and no evidence minimum, `select --policy top-k:K` notifies exactly
    the first K friends of `rank` under the same heuristic, with the same ranks and scores."""
    con = duckdb.connect()
    targets = pd.read_parquet(workdir / "select_targets.parquet")["person_id"].tolist()
    assert len(targets) == SELECT_TARGETS
    audiences = con.sql(f"""
        select target, alter, selection_rank, score from read_parquet({sql_path(selection / 'audiences.parquet')})
    """).df()
    expected = con.sql(f"""
        select target, alter, rank as selection_rank, score
        from read_parquet({sql_path(rankings)})
        where heuristic = 'persistence' and rank <= {SELECT_K}
    """).df()
    expected = expected[expected["target"].isin(targets)]
    # Audiences come in target input order, then rank.
    expected["order"] = expected["target"].map({t: i for i, t in enumerate(targets)})
    expected = expected.sort_values(["order", "selection_rank"]).drop(columns="order")
    pd.testing.assert_frame_equal(audiences.reset_index(drop=True),
                                  expected.reset_index(drop=True), check_dtype=False)
    exposure = pd.read_parquet(selection / "exposure.parquet")
    assert exposure["target"].tolist() == targets
    degree = degrees(con, dataset).set_index("person_id")["degree"]
    assert (exposure["num_candidates"] == exposure["target"].map(degree)).all()
    notices = audiences.groupby("target").size()
    assert (exposure["num_selected"] == exposure["target"].map(notices)).all()
    assert exposure["expected_collateral"].isna().all(), "no calibration was given"


def test_select_audit_record_matches_the_files(selection: Path, dataset: Path) -> None:
    audit = json.loads((selection / "audit.json").read_text())
    assert audit["parameters"]["policy"] == f"top-k:{SELECT_K}"
    assert audit["parameters"]["heuristic"] == "persistence"
    names = sorted(p.name for p in selection.iterdir() if p.name != "audit.json")
    assert sorted(o["name"] for o in audit["outputs"]) == names
    for output in audit["outputs"]:
        path = selection / output["name"]
        assert path.stat().st_size == output["bytes"], output["name"]
        assert sha256(path) == output["sha256"], output["name"]
    manifest = {f["path"]: f["sha256"] for f in
                json.loads((dataset / "manifest.json").read_text())["files"]}
    data_inputs = [i for i in audit["inputs"] if i["role"] == "data"]
    assert data_inputs, "the dataset files read are recorded"
    for entry in data_inputs:
        assert sha256(dataset / entry["name"]) == entry["sha256"], entry["name"]
        if entry["name"] in manifest:
            assert manifest[entry["name"]] == entry["sha256"], entry["name"]
    rows = pq.ParquetFile(selection / "audiences.parquet").metadata.num_rows
    assert audit["counts"] == {"targets": SELECT_TARGETS, "notices": rows,
                               "people_reached": audit["counts"]["people_reached"],
                               "expected_collateral": None}
    assert 0 < audit["counts"]["people_reached"] <= rows


# The relevance convention of docs/comparing.md: a friend is relevant when its planted layer is
# at most 3 (`--relevant-layer`, default 3).
RELEVANT_LAYER = 3


def recomputed_precision(dataset: Path, report: Path, heuristic: str, k: int) -> pd.DataFrame:
    """precision@k of each evaluated target, from compare's rankings and the truth alone:
    hits among the top k' = min(k, degree) friends, divided by k'. Friends without a truth row
    are not relevant."""
    con = duckdb.connect()
    friends = FRIENDS_SQL.format(ties=sql_path(dataset / "ties.parquet"))
    closeness = sql_path(dataset / "truth_closeness.parquet")
    [(duplicates,)] = con.sql(f"""
        select count(*) - count(distinct (target, alter)) from read_parquet({closeness})
    """).fetchall()
    assert duplicates == 0, "the truth has repeated (target, alter) rows"
    return con.sql(f"""
        with friends as ({friends}),
        degree as (select person, count(*) as degree from friends group by person),
        ranked as (
            select target, rank, alter from read_parquet({sql_path(report / 'rankings.parquet')})
            where heuristic = '{heuristic}'
        )
        select r.target,
               any_value(d.degree) as degree,
               count(*) filter (where r.rank <= {k}) as selected,
               count(*) filter (where r.rank <= {k} and t.layer <= {RELEVANT_LAYER}) as hits,
               hits / least({k}, any_value(d.degree)) as precision
        from ranked r
        join degree d on d.person = r.target
        left join read_parquet({closeness}) t on t.target = r.target and t.alter = r.alter
        group by r.target
        order by r.target
    """).df()


# k = 50 exceeds the degree of some targets (degree bucket 10-49), where k' = degree.
@pytest.mark.parametrize("heuristic,k", [("persistence", 5), ("volume", 15), ("ppr", 50)])
def test_precision_recomputed_from_rankings_equals_the_rust_figure(
        report: Path, dataset: Path, heuristic: str, k: int) -> None:
    mine = recomputed_precision(dataset, report, heuristic, k)
    assert len(mine) > 0
    if k == 50:
        assert (mine["degree"] < k).any(), "no evaluated target has fewer than k friends"
    # The rankings hold at least the top k' friends of every target.
    assert (mine["selected"] == np.minimum(k, mine["degree"])).all()
    metrics = pd.read_parquet(report / "metrics.parquet")
    row = metrics[(metrics["heuristic"] == heuristic) & (metrics["k"] == k)
                  & (metrics["metric"] == "precision") & (metrics["stratum"] == "all")]
    assert len(row) == 1, f"{len(row)} rows of precision@{k} for {heuristic}, stratum all"
    assert row["num_targets"].iloc[0] == len(mine), "the evaluated targets are the ranked ones"
    assert abs(row["value"].iloc[0] - mine["precision"].mean()) < 1e-9
    # The per-target values behind the mean agree one by one.
    per_target = pd.read_parquet(report / "per_target.parquet")
    theirs = per_target[(per_target["heuristic"] == heuristic) & (per_target["k"] == k)
                        & (per_target["metric"] == "precision")
                        & (per_target["stratum"] == "all")].set_index("target")
    assert sorted(theirs.index) == mine["target"].tolist()
    joined = mine.set_index("target").join(
        theirs[["value", "degree"]].rename(columns={"degree": "degree_rust"}))
    assert (joined["degree"] == joined["degree_rust"]).all()
    assert np.allclose(joined["precision"], joined["value"], rtol=0, atol=1e-12)


def test_exposure_and_hits_add_up_to_the_selection(report: Path) -> None:
    """exposure@k + hits@k = min(k, degree) for every target, heuristic and k."""
    per_target = pd.read_parquet(report / "per_target.parquet")
    all_friends = per_target[per_target["stratum"] == "all"]
    key = ["target", "heuristic", "k"]
    precision = all_friends[all_friends["metric"] == "precision"].set_index(key)
    exposure = all_friends[all_friends["metric"] == "exposure"].set_index(key)
    assert len(precision) > 0 and precision.index.sort_values().equals(
        exposure.index.sort_values())
    joined = precision.join(exposure[["value"]].rename(columns={"value": "value_exposure"}))
    selection = np.minimum(joined.index.get_level_values("k").to_numpy(), joined["degree"])
    hits = joined["value"] * selection
    assert np.allclose(hits, np.round(hits), atol=1e-9), "hits@k is a whole number"
    assert np.allclose(hits + joined["value_exposure"], selection, atol=1e-9)


def test_report_rows_cover_every_ranked_heuristic(report: Path) -> None:
    rankings = pd.read_parquet(report / "rankings.parquet")
    metrics = pd.read_parquet(report / "metrics.parquet")
    ranked = set(rankings["heuristic"].astype(str))
    measured = set(metrics["heuristic"].astype(str))
    assert "persistence" in ranked and "random" in ranked
    assert ranked | {"oracle"} <= measured
    with_interval = metrics.dropna(subset=["ci_low", "ci_high"])
    assert len(with_interval) > 0, "the default run has bootstrap intervals"
    assert (with_interval["ci_low"] <= with_interval["ci_high"]).all()
    shares = metrics[metrics["metric"].isin(["precision", "recall", "ndcg", "auc"])]
    assert shares["value"].between(0, 1).all()
    agreement = pd.read_parquet(report / "agreement.parquet")
    pairs = set(zip(agreement["heuristic_a"].astype(str), agreement["heuristic_b"].astype(str)))
    assert ("persistence", "oracle") in pairs or ("oracle", "persistence") in pairs


def test_compare_manifest_matches_inputs_and_outputs(report: Path, dataset: Path) -> None:
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["format_version"] == 2, "output format 2: the glossary's names"
    assert json.loads((dataset / "manifest.json").read_text())["format_version"] == 2
    assert manifest["parameters"]["relevant_layer"] == RELEVANT_LAYER
    assert manifest["dataset_manifest_sha256"] == sha256(dataset / "manifest.json")
    inputs = {i["name"]: i for i in manifest["inputs"]}
    assert "ties.parquet" in inputs and "truth_closeness.parquet" in inputs
    for name, entry in inputs.items():
        assert sha256(dataset / name) == entry["sha256"], name
        assert (dataset / name).stat().st_size == entry["bytes"], name
    counts = manifest["counts"]
    for table, key in [("metrics", "metrics_rows"), ("per_target", "per_target_rows"),
                       ("agreement", "agreement_rows"), ("rankings", "ranking_rows")]:
        path = report / f"{table}.parquet"
        [(rows,)] = duckdb.sql(f"select count(*) from read_parquet({sql_path(path)})").fetchall()
        assert rows == counts[key] > 0, table
    # With the learned model (the default), half of the sample trains it and every row is
    # evaluated on the other half: the rankings hold exactly the evaluated targets.
    assert manifest["parameters"]["learned"] is True
    assert counts["evaluated_targets"] + counts["train_targets"] == counts["sampled_targets"]
    rankings = pd.read_parquet(report / "rankings.parquet")
    assert rankings["target"].nunique() == counts["evaluated_targets"] > 0
    assert sorted(rankings["heuristic"].astype(str).unique()) == sorted(counts["rows"])
