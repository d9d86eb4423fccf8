#!/usr/bin/env bash
# The partitioned `rank` of issue 13 on `medium` (seed 1) at 1, 2 and 4 local processes of
# one worker each (`tierank cluster`): wall time per phase, bytes exchanged per tie row and
# peak RSS of every process (docs/benchmarks.md, "Partitioned runs (loopback)").
#
#   bash benches/dist/medium.sh DATA_ROOT [PRESET] [PROCESSES...]
#   e.g. bash benches/dist/medium.sh /work/data/lead medium 1 2 4
#        bash benches/dist/medium.sh /work/data/dist13 small 1 2      (a quick check)
#
# Needs a release build (cargo build --release --locked -p tierank; BIN overrides the
# binary). Generates DATA_ROOT/PRESET-s1 when it has no manifest.json. Writes, per process
# count N, DATA_ROOT/rank-PRESET-nN.parquet and the processes' logs in
# DATA_ROOT/logs-PRESET-nN/ (process-I.log), and prints one table row per process:
#   n process read window exchange fold targets wave_exchange build rank gather write total
#   bytes_sent bytes_per_tie_row peak_rss
# with the load average before and after each run. Timings taken at a load average above
# about 2 on the 2-core machine are not worth recording. SAMPLE (default 10000) and
# HEURISTICS (default all) override the ranking.
set -euo pipefail
BIN=${BIN:-target/release/tierank}
ROOT=${1:?usage: benches/dist/medium.sh DATA_ROOT [PRESET] [PROCESSES...]}
PRESET=${2:-medium}
shift $(( $# < 2 ? $# : 2 ))
PROCS=("${@:-1 2 4}")
SAMPLE=${SAMPLE:-10000}
HEURISTICS=${HEURISTICS:-all}
DATA=$ROOT/$PRESET-s1
mkdir -p "$ROOT"
[ -x "$BIN" ] || { echo "no binary at $BIN (cargo build --release --locked -p tierank)" >&2; exit 1; }
if [ ! -f "$DATA/manifest.json" ]; then
    echo "generating $PRESET seed 1 into $DATA; load: $(cut -d' ' -f1-3 /proc/loadavg)"
    /usr/bin/time -f "generate: wall %e s, peak RSS %M KiB" \
        "$BIN" generate --preset "$PRESET" --seed 1 --out "$DATA"
fi
printf 'n\tprocess\tread\twindow\texchange\tfold\ttargets\twave_exchange\tbuild\trank\tgather\twrite\ttotal\tbytes_sent\tbytes_per_tie_row\tpeak_rss\n'
for n in ${PROCS[*]}; do
    logs=$ROOT/logs-$PRESET-n$n
    before=$(cut -d' ' -f1-3 /proc/loadavg)
    start=$(date +%s.%N)
    "$BIN" cluster --processes "$n" --workers 1 --logs "$logs" -- \
        rank --data "$DATA" --sample "$SAMPLE" --heuristics "$HEURISTICS" --k 15 \
        --out "$ROOT/rank-$PRESET-n$n.parquet" --force > /dev/null
    end=$(date +%s.%N)
    after=$(cut -d' ' -f1-3 /proc/loadavg)
    for ((p = 0; p < n; p++)); do
        log=$logs/process-$p.log
        phases=$(grep "^process $p phases:" "$log")
        sent=$(grep "^process $p: ranked" "$log")
        field() { sed -n "s/.*[:,;] $1 \([0-9.]*\)s.*/\1/p" <<<"$phases"; }
        printf '%s\t%s' "$n" "$p"
        for f in read window exchange fold targets "wave exchange" build rank gather write total; do
            printf '\t%s' "$(field "$f")"
        done
        printf '\t%s\t%s\t%s\n' \
            "$(sed -n 's/.*; sent \([0-9]*\) bytes.*/\1/p' <<<"$sent")" \
            "$(sed -n 's/.*; \([0-9.]*\) bytes sent per tie row.*/\1/p' <<<"$sent")" \
            "$(sed -n 's/.*peak RSS \(.*\)$/\1/p' <<<"$phases" | tr -d ' ')"
    done
    printf '# n=%s: wall %.2f s (cluster, all processes); load average before %s, after %s\n' \
        "$n" "$(echo "$end - $start" | bc)" "$before" "$after"
done
