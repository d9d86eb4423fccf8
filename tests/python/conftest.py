"""Session fixtures: one tiny dataset, its rankings, a compare report and a selection, each
made once by the real `tierank` binary and shared by every test.

The binary is `$TIERANK_BIN`, or `target/release/tierank` of this checkout
(`scripts/python-tests.sh` builds it and sets the variable).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Fixed so that a failure reproduces; the tiny preset has 1,000 people.
SEED = 7
# Targets ranked by `tierank rank` and evaluated by `tierank compare`.
SAMPLE = 40
# Friends kept per target and heuristic by `tierank rank`.
RANK_K = 15
# Targets given to `tierank select`.
SELECT_TARGETS = 8
# Notices per target under the top-k policy of `tierank select`.
SELECT_K = 5


def _binary() -> Path:
    configured = os.environ.get("TIERANK_BIN")
    path = Path(configured) if configured else REPO / "target" / "release" / "tierank"
    if not path.is_file():
        pytest.fail(
            f"tierank binary not found at {path}: run scripts/python-tests.sh, or build it with "
            "`cargo build --release -p tierank --locked` and set TIERANK_BIN",
            pytrace=False,
        )
    return path


def run_tierank(binary: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """Runs the binary, failing the test with its stderr when it exits non-zero."""
    argv = [str(binary), *map(str, args)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(
            f"`{' '.join(argv)}` exited with {done.returncode}:\n{done.stderr}", pytrace=False
        )
    return done


def has_subcommand(binary: Path, name: str) -> bool:
    """Whether this build of tierank has the subcommand (its --help succeeds)."""
    done = subprocess.run(
        [str(binary), name, "--help"], capture_output=True, text=True, check=False
    )
    return done.returncode == 0


@pytest.fixture(scope="session")
def tierank() -> Path:
    """Path of the tierank binary under test."""
    return _binary()


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One scratch directory for every output of the session."""
    return tmp_path_factory.mktemp("tierank")


@pytest.fixture(scope="session")
def dataset(tierank: Path, workdir: Path) -> Path:
    """A tiny synthetic dataset written by `tierank generate`."""
    out = workdir / "data"
    run_tierank(tierank, "generate", "--preset", "tiny", "--seed", str(SEED), "--out", out)
    return out


@pytest.fixture(scope="session")
def rankings(tierank: Path, dataset: Path, workdir: Path) -> Path:
    """Rankings of a seeded sample of targets under every heuristic, by `tierank rank`."""
    out = workdir / "rankings.parquet"
    run_tierank(
        tierank,
        "rank",
        "--data",
        dataset,
        "--sample",
        str(SAMPLE),
        "--heuristics",
        "all",
        "--k",
        str(RANK_K),
        "--seed",
        str(SEED),
        "--out",
        out,
    )
    return out


@pytest.fixture(scope="session")
def report(tierank: Path, dataset: Path, workdir: Path) -> Path:
    """The report directory of `tierank compare` on the dataset."""
    if not has_subcommand(tierank, "compare"):
        pytest.skip("this tierank build has no `compare` subcommand (`tierank compare --help` fails)")
    out = workdir / "report"
    run_tierank(
        tierank,
        "compare",
        "--data",
        dataset,
        "--sample",
        str(SAMPLE),
        "--heuristics",
        "all",
        "--out",
        out,
    )
    return out


@pytest.fixture(scope="session")
def selection(tierank: Path, dataset: Path, rankings: Path, workdir: Path) -> Path:
    """The output directory of `tierank select` with a top-k policy on a few targets."""
    if not has_subcommand(tierank, "select"):
        pytest.skip("this tierank build has no `select` subcommand (`tierank select --help` fails)")
    import pyarrow as pa
    import pyarrow.parquet as pq

    targets = (
        pq.read_table(rankings, columns=["target"]).column("target").unique().to_pylist()
    )[:SELECT_TARGETS]
    targets_file = workdir / "select_targets.parquet"
    pq.write_table(pa.table({"person_id": pa.array(targets, pa.int64())}), targets_file)
    out = workdir / "selection"
    run_tierank(
        tierank,
        "select",
        "--data",
        dataset,
        "--targets",
        targets_file,
        "--heuristic",
        "persistence",
        "--policy",
        f"top-k:{SELECT_K}",
        "--out",
        out,
    )
    return out
