#!/usr/bin/env bash
# Scaling table: wall time of each pipeline stage of the tierank CLI at several thread counts.
#
#   benches/scaling.sh [PRESET] [THREADS...]        # default: small, threads "1 2"
#   benches/scaling.sh medium 1 2 16
#
# Stages (each a separate process, timed from start to exit, best of RUNS):
#   generate  tierank generate --preset PRESET --seed 7 into a temporary directory
#   load      the `load` example of tierank-io (load_graph alone, no CLI)
#   rank      tierank rank, a fixed --sample and a fixed heuristic list (ego + two-hop)
#   compare   tierank compare, a fixed --sample, the same heuristics, default bootstrap
#   select    tierank select --policy top-k:5 with heuristic volume, every person a target
# rank, compare and select load the dataset themselves: their times include loading.
#
# The thread count is set with RAYON_NUM_THREADS: every stage runs on rayon's global pool
# (no tierank crate builds a pool of its own; the `load` example builds one with
# num_threads(0), which reads the same variable, and prints its size, checked here).
#
# Environment:
#   RUNS=N            best of N runs per (stage, threads) (default 3)
#   STAGES="..."      stages to run, in order (default "generate load rank compare select")
#   DATA=DIR          run the other stages on this dataset instead of the generated one
#                     (leave generate out of STAGES to skip generating)
#   RANK_SAMPLE=N     targets of rank (default 500 on tiny, 2000 otherwise)
#   COMPARE_SAMPLE=N  targets of compare (default 500 on tiny, 1000 otherwise, the CLI's)
#   CARGO_TARGET_DIR  where the release binaries are built (default target/)
#
# Prints a Markdown table on stdout (progress on stderr) with the machine, date and commit.
# Everything it writes goes into one temporary directory, removed on exit.

set -euo pipefail

usage() {
    sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
-h | --help)
    usage
    exit 0
    ;;
esac

PRESET="${1:-small}"
if [ "$#" -gt 0 ]; then shift; fi
THREADS=("$@")
if [ "${#THREADS[@]}" -eq 0 ]; then THREADS=(1 2); fi
for t in "${THREADS[@]}"; do
    if ! [[ "$t" =~ ^[1-9][0-9]*$ ]]; then
        echo "scaling.sh: thread count '$t' is not a positive integer" >&2
        exit 2
    fi
done
case "$PRESET" in
tiny | small | medium | large) ;;
*)
    echo "scaling.sh: unknown preset '$PRESET' (tiny, small, medium, large)" >&2
    exit 2
    ;;
esac
RUNS="${RUNS:-3}"
if ! [[ "$RUNS" =~ ^[1-9][0-9]*$ ]]; then
    echo "scaling.sh: RUNS=$RUNS is not a positive integer" >&2
    exit 2
fi
STAGES="${STAGES:-generate load rank compare select}"
for s in $STAGES; do
    case "$s" in
    generate | load | rank | compare | select) ;;
    *)
        echo "scaling.sh: unknown stage '$s' (generate, load, rank, compare, select)" >&2
        exit 2
        ;;
    esac
done
if [ "$PRESET" = tiny ]; then default_rank=500 default_compare=500; else default_rank=2000 default_compare=1000; fi
RANK_SAMPLE="${RANK_SAMPLE:-$default_rank}"
COMPARE_SAMPLE="${COMPARE_SAMPLE:-$default_compare}"
SEED=7
HEURISTICS="volume,recency,reciprocity,persistence,multiplexity,degree,random,common_neighbors,jaccard,adamic_adar,resource_allocation,overlap"
POLICY="top-k:5"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
TIERANK="$TARGET_DIR/release/tierank"
LOAD="$TARGET_DIR/release/examples/load"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tierank-scaling.XXXXXX")"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { echo "scaling: $*" >&2; }

log "building release binaries"
(cd "$ROOT" && cargo build --release --quiet -p tierank && cargo build --release --quiet -p tierank-io --example load)
for bin in "$TIERANK" "$LOAD"; do
    [ -x "$bin" ] || {
        echo "scaling.sh: $bin was not built" >&2
        exit 1
    }
done

# Wall seconds of one run of "$@" under RAYON_NUM_THREADS=$1; output in $WORK/run.log.
time_once() {
    local threads="$1"
    shift
    local start end
    start=$(date +%s%N)
    if ! RAYON_NUM_THREADS="$threads" "$@" >"$WORK/run.log" 2>&1; then
        echo "scaling.sh: failed at $threads thread(s): $*" >&2
        tail -n 20 "$WORK/run.log" >&2
        exit 1
    fi
    end=$(date +%s%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", (e - s) / 1e9 }'
}

# Smallest of two decimal numbers (the first when $2 is empty).
min() { awk -v a="$1" -v b="${2:-}" 'BEGIN { if (b == "" || a + 0 < b + 0) print a; else print b }'; }

declare -A BEST   # BEST[stage,threads] = best wall seconds
declare -A SHOWN  # SHOWN[stage] = the command, with the temporary paths named
ORDER=()

# bench STAGE SHOWN PREPARE -- COMMAND...: PREPARE (a function name or ":") runs untimed
# before each run, to remove the previous run's output.
bench() {
    local stage="$1" shown="$2" prepare="$3"
    shift 4
    ORDER+=("$stage")
    SHOWN[$stage]="$shown"
    local t r secs best
    for t in "${THREADS[@]}"; do
        best=""
        for ((r = 1; r <= RUNS; r++)); do
            "$prepare"
            secs=$(time_once "$t" "$@")
            best=$(min "$secs" "$best")
            log "$stage, $t thread(s), run $r/$RUNS: $secs s"
        done
        if [ "$stage" = load ]; then
            # The example reports its pool size: the variable must have reached rayon.
            if ! grep -q "^threads $t:" "$WORK/run.log"; then
                echo "scaling.sh: the load example did not run on $t thread(s):" >&2
                grep "^threads" "$WORK/run.log" >&2 || true
                exit 1
            fi
        fi
        BEST[$stage,$t]="$best"
    done
}

clear_gen() { rm -rf "$WORK/gen"; }
clear_ranks() { rm -f "$WORK/ranks.parquet"; }
clear_report() { rm -rf "$WORK/report"; }
clear_audiences() { rm -rf "$WORK/audiences"; }

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"

if [[ " $STAGES " == *" generate "* ]]; then
    bench generate "tierank generate --preset $PRESET --seed $SEED --out TMP/gen" clear_gen -- \
        "$TIERANK" generate --preset "$PRESET" --seed "$SEED" --out "$WORK/gen"
fi
if [ -n "${DATA:-}" ]; then
    DATASET="$DATA"
    DATA_SHOWN="$DATA"
elif [ -d "$WORK/gen" ]; then
    mv "$WORK/gen" "$WORK/data"
    DATASET="$WORK/data"
    DATA_SHOWN="TMP/data"
else
    log "generating the $PRESET dataset (untimed)"
    "$TIERANK" generate --preset "$PRESET" --seed "$SEED" --out "$WORK/data" >"$WORK/run.log" 2>&1 || {
        tail -n 20 "$WORK/run.log" >&2
        exit 1
    }
    DATASET="$WORK/data"
    DATA_SHOWN="TMP/data"
fi

for stage in $STAGES; do
    case "$stage" in
    generate) ;;
    load)
        bench load "examples/load $DATA_SHOWN" : -- "$LOAD" "$DATASET"
        ;;
    rank)
        bench rank "tierank rank --data $DATA_SHOWN --sample $RANK_SAMPLE --heuristics H --k 15 --out TMP/ranks.parquet" \
            clear_ranks -- "$TIERANK" rank --data "$DATASET" --sample "$RANK_SAMPLE" \
            --heuristics "$HEURISTICS" --k 15 --out "$WORK/ranks.parquet"
        ;;
    compare)
        bench compare "tierank compare --data $DATA_SHOWN --sample $COMPARE_SAMPLE --heuristics H --out TMP/report" \
            clear_report -- "$TIERANK" compare --data "$DATASET" --sample "$COMPARE_SAMPLE" \
            --heuristics "$HEURISTICS" --out "$WORK/report"
        ;;
    select)
        if [ ! -f "$DATASET/persons.parquet" ]; then
            echo "scaling.sh: $DATASET/persons.parquet (the select targets) is missing" >&2
            exit 1
        fi
        bench select "tierank select --data $DATA_SHOWN --targets $DATA_SHOWN/persons.parquet --heuristic volume --policy $POLICY --out TMP/audiences" \
            clear_audiences -- "$TIERANK" select --data "$DATASET" --targets "$DATASET/persons.parquet" \
            --heuristic volume --policy "$POLICY" --out "$WORK/audiences"
        ;;
    esac
done

LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"

# ---- the table ----
cpu="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)"
[ -n "$cpu" ] || cpu="$(uname -m)"
cores="$(nproc 2>/dev/null || echo '?')"
mem_kib="$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo 2>/dev/null || echo 0)"
mem="$(awk -v k="$mem_kib" 'BEGIN { printf "%.1f GiB", k / 1048576 }')"
commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if ! git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null; then commit="$commit (with uncommitted changes)"; fi
rustc_version="$(rustc --version 2>/dev/null || echo unknown)"
people="$(grep -o '"persons": *[0-9]*' "$DATASET/manifest.json" 2>/dev/null | head -1 | grep -o '[0-9]*$' || true)"

fmt_secs() { awk -v s="$1" 'BEGIN { if (s < 10) printf "%.3f s", s; else if (s < 100) printf "%.2f s", s; else printf "%.1f s", s }'; }
plural() { if [ "$1" = 1 ]; then echo "1 thread"; else echo "$1 threads"; fi; }

first="${THREADS[0]}"
header="| stage | command |"
rule="|---|---|"
for t in "${THREADS[@]}"; do
    header="$header $(plural "$t") |"
    rule="$rule---:|"
done
for t in "${THREADS[@]:1}"; do
    if [ "${#THREADS[@]}" -eq 2 ]; then header="$header speed-up |"; else header="$header speed-up at $t |"; fi
    rule="$rule---:|"
done

echo "### Scaling: \`$PRESET\` preset${people:+ ($people people)}, best of $RUNS"
echo
echo "- machine: $cpu, $cores logical cores, $mem RAM"
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $commit; $rustc_version"
echo "- load average before / after: $LOAD_BEFORE / $LOAD_AFTER"
echo "- command: \`benches/scaling.sh $PRESET ${THREADS[*]}\` (RUNS=$RUNS)"
echo "- H = \`$HEURISTICS\`; TMP is a temporary directory; threads set with RAYON_NUM_THREADS;"
echo "  rank, compare and select times include loading the dataset"
echo
echo "$header"
echo "$rule"
for stage in "${ORDER[@]}"; do
    row="| $stage | \`${SHOWN[$stage]}\` |"
    for t in "${THREADS[@]}"; do
        row="$row $(fmt_secs "${BEST[$stage,$t]}") |"
    done
    for t in "${THREADS[@]:1}"; do
        row="$row $(awk -v a="${BEST[$stage,$first]}" -v b="${BEST[$stage,$t]}" 'BEGIN { printf "%.2f×", a / b }') |"
    done
    echo "$row"
done
