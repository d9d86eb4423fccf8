#!/usr/bin/env bash
# Peer benchmark harness (issue 6): one command that runs the same work in tierank, pyarrow,
# NetworKit, igraph, networkx and DuckDB on one shared input, checks that the scores agree,
# and writes the table into the docs. See benches/peers/README.md.
#
#   bash benches/peers/run.sh DATA_DIR --preset NAME [--work WORK] [--targets 10000]
#        [--ppr-targets 100] [--tools networkit,igraph,networkx,duckdb]
#        [--docs docs/benchmarks.md] [--runs 3] [--case-seconds 60] [--exact-sources N] [--quick]
set -euo pipefail

usage() { sed -n '6,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "run.sh: $*" >&2; exit 2; }

command_line="bash benches/peers/run.sh$(printf ' %q' "$@")"
data="" preset="" work="" targets="" ppr_targets="" docs="docs/benchmarks.md"
tools="networkit,igraph,networkx,duckdb" runs="" case_seconds="" quick=0 exact_sources=0
while [ $# -gt 0 ]; do
  case "$1" in
    --preset) preset="${2:?}"; shift 2 ;;
    --work) work="${2:?}"; shift 2 ;;
    --targets) targets="${2:?}"; shift 2 ;;
    --ppr-targets) ppr_targets="${2:?}"; shift 2 ;;
    --tools) tools="${2?}"; shift 2 ;;
    --docs) docs="${2:?}"; shift 2 ;;
    --runs) runs="${2:?}"; shift 2 ;;
    --case-seconds) case_seconds="${2:?}"; shift 2 ;;
    --exact-sources) exact_sources="${2:?}"; shift 2 ;;
    --quick) quick=1; shift ;;
    -h|--help) usage ;;
    -*) die "unknown option $1" ;;
    *) [ -z "$data" ] || die "one DATA_DIR only"; data="$1"; shift ;;
  esac
done
[ -n "$data" ] && [ -n "$preset" ] || usage
[ -d "$data" ] || die "no dataset at $data"
for t in ${tools//,/ }; do
  case "$t" in networkit|igraph|networkx|duckdb) ;; *) die "unknown tool $t" ;; esac
done

# --quick: a smoke test of the whole pipeline in a few minutes (few targets, one short run).
if [ "$quick" = 1 ]; then
  : "${targets:=500}" "${ppr_targets:=10}" "${runs:=1}" "${case_seconds:=5}"
  suffix="-quick"
else
  : "${targets:=10000}" "${ppr_targets:=100}" "${runs:=3}" "${case_seconds:=60}"
  suffix=""
fi

peers="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$peers/../.." && pwd)"
data="$(realpath "$data")"
[ -n "$work" ] && work="$(realpath -m "$work")" || work="$root/target/peers/$preset$suffix"
[[ "$docs" = /* ]] || docs="$(realpath -m "$docs")"
cd "$root"

# 1. The harness's own virtual environment, reinstalled when requirements.txt changes.
venv="$peers/.venv"
py="$venv/bin/python"
if [ ! -x "$py" ] || ! cmp -s "$peers/requirements.txt" "$venv/requirements.installed"; then
  echo "== creating $venv"
  python3 -m venv "$venv"
  "$py" -m pip install --quiet --upgrade pip
  "$py" -m pip install --quiet -r "$peers/requirements.txt"
  cp "$peers/requirements.txt" "$venv/requirements.installed"
fi

# 2. tierank's runner, in release.
echo "== building tierank-peers"
cargo build --release --quiet -p tierank-benches --bin tierank-peers
runner="$root/target/release/tierank-peers"

# 3. The shared input, unless WORK already holds it for the same data and sample sizes.
if PYTHONPATH="$peers" "$py" -c 'import sys, common; sys.exit(0 if common.is_prepared(*sys.argv[1:]) else 1)' \
    "$work" "$data" "$targets" "$ppr_targets"; then
  echo "== reusing $work (prepared from the same data)"
else
  echo "== preparing $work"
  "$runner" prepare --data "$data" --out "$work" --targets "$targets" --ppr-targets "$ppr_targets"
fi
rm -rf "$work/results"

# 4. tierank, then each Python tool in its own process (memory released, times isolated).
echo "== tierank"
"$runner" run --work "$work" --runs "$runs"
for tool in pyarrow ${tools//,/ }; do
  echo "== $tool"
  PYTHONPATH="$peers" "$py" -m "tools.${tool}_" --work "$work" --runs "$runs" --case-seconds "$case_seconds"
done
echo "== exact PPR"
# (--exact-sources N solves only the first N of the tools' seeded source order: on `large`
# the dense power iteration over all 100 sources takes half an hour.)
PYTHONPATH="$peers" "$py" "$peers/exact.py" --work "$work" --sources "$exact_sources"

# 5. Agreement, then the report: the docs change only when every check passed.
echo "== agreement checks"
status=0
PYTHONPATH="$peers" "$py" "$peers/check.py" --work "$work" || status=$?
echo "== report"
if [ "$status" = 0 ]; then
  PYTHONPATH="$peers" "$py" "$peers/report.py" --work "$work" --preset "$preset" --command "$command_line" --docs "$docs"
else
  PYTHONPATH="$peers" "$py" "$peers/report.py" --work "$work" --preset "$preset" --command "$command_line"
  echo "run.sh: agreement checks failed; $docs left as it was, the report is in $work/report.md" >&2
fi
exit "$status"
