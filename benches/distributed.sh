#!/usr/bin/env bash
# Partitioned `tierank rank` on loopback at several process counts (docs/benchmarks.md,
# "Partitioned runs (loopback)"). Usage:
#   bash benches/distributed.sh DATA_ROOT [PRESET] [PROCESSES...]
# e.g. bash benches/distributed.sh /work/wt/data-i13 medium 1 2 4
# Needs a release build (cargo build --release -p tierank). Generates DATA_ROOT/PRESET
# (seed 7) when absent; writes DATA_ROOT/rank-PRESET-nN.parquet and the per-process logs
# in DATA_ROOT/logs-PRESET-nN/, and prints each process's lines: rows read and records
# held, bytes sent per kind, and the phases with the process's peak RSS (VmHWM).
set -euo pipefail
BIN=${BIN:-target/release/tierank}
ROOT=${1:?usage: benches/distributed.sh DATA_ROOT [PRESET] [PROCESSES...]}
PRESET=${2:-medium}
shift $(( $# < 2 ? $# : 2 ))
PROCS=("${@:-1 2 4}")
DATA=$ROOT/$PRESET
mkdir -p "$ROOT"
if [ ! -f "$DATA/manifest.json" ]; then
    echo "generating $PRESET: $(uptime)"
    /usr/bin/time -f "generate: wall %e s, peak RSS %M KiB" \
        "$BIN" generate --preset "$PRESET" --seed 7 --out "$DATA"
fi
for n in ${PROCS[*]}; do
    logs=$ROOT/logs-$PRESET-n$n
    echo "== $n processes x 1 worker; before: $(uptime)"
    /usr/bin/time -f "cluster: wall %e s, user %U s, sys %S s (all processes), largest process peak RSS %M KiB" \
        "$BIN" cluster --processes "$n" --workers 1 --logs "$logs" -- \
        rank --data "$DATA" --sample 2000 --heuristics all --k 15 \
        --out "$ROOT/rank-$PRESET-n$n.parquet" --force > /dev/null
    grep -h "phases\|bytes\|tie rows" "$logs"/process-*.log
    echo "   after: $(uptime)"
done
