#!/usr/bin/env bash
# The real-client checks: reads every Parquet output of the tierank binary with pyarrow,
# pandas, polars and DuckDB, checks the Python package against the binary (tests/python),
# then runs docs/notebooks/compare.ipynb headless.
#
# Needs python3 (3.11) and network access to PyPI the first time: the clients are installed
# into .venv/ from tests/python/requirements.txt, and the venv is reused as long as that file
# and the Python version are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

venv="$root/.venv"
requirements="$root/tests/python/requirements.txt"
stamp="$venv/.tierank-requirements.sha256"
# The kernel the notebook runs on: registered inside the venv under its own name, so that a
# `python3` kernel installed elsewhere on the machine (without these packages) is never used.
kernel=tierank-python-tests

want=$( { python3 --version; cat "$requirements"; } | sha256sum | cut -d' ' -f1)
if [[ ! -x "$venv/bin/python" ]] || [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "python-tests: installing tests/python/requirements.txt into .venv"
    rm -f "$stamp"
    python3 -m venv --clear "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    "$venv/bin/python" -m ipykernel install --sys-prefix --name "$kernel" >/dev/null
    echo "$want" > "$stamp"
else
    echo "python-tests: reusing .venv (requirements unchanged)"
fi
python="$venv/bin/python"

cargo build --release -p tierank --locked
# The Python package from this checkout (crates/py, maturin): a release build of the engine
# with pyo3, several minutes on a cold 2-core machine; later runs reuse target/.
"$python" -m pip install --quiet --disable-pip-version-check ./crates/py
TIERANK_BIN="${CARGO_TARGET_DIR:-$root/target}/release/tierank"
export TIERANK_BIN
# Plots are drawn to files, never to a window.
export MPLBACKEND=Agg

"$python" -m pytest tests/python -q -p no:cacheprovider

# Runs a command with its output kept aside, shown only when it fails.
quietly() {
    local log
    log=$(mktemp)
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        echo "python-tests: failed: $*" >&2
        return 1
    fi
    rm -f "$log"
}

# The notebook reads a report of `tierank compare`, which exists only in builds that have the
# subcommand.
if ! "$TIERANK_BIN" compare --help >/dev/null 2>&1; then
    echo "python-tests: notebook not run: this tierank build has no compare subcommand"
    exit 0
fi
# The notebook's report: a tiny dataset compared in a scratch directory.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
quietly "$TIERANK_BIN" generate --preset tiny --seed 7 --out "$scratch/data"
quietly "$TIERANK_BIN" compare --data "$scratch/data" --sample 60 --heuristics all \
    --out "$scratch/report"
export TIERANK_REPORT="$scratch/report"
export TIERANK_DATA="$scratch/data"

"$python" - "$kernel" <<'PY'
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

kernel = sys.argv[1]
path = Path("docs/notebooks/compare.ipynb")
notebook = nbformat.read(path, as_version=4)
cells = sum(cell.cell_type == "code" for cell in notebook.cells)
# Raises CellExecutionError, naming the cell and the traceback, at the first failing cell.
NotebookClient(
    notebook, kernel_name=kernel, timeout=300, resources={"metadata": {"path": str(path.parent)}}
).execute()
print(f"notebook {path}: {cells} code cells ran without error")
PY
