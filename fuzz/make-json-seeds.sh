#!/usr/bin/env bash
# Rewrites the hand-kept JSON seeds of the fuzz corpus (manifest, audit, model, calibration)
# from a tierank binary, so that they are in the formats the current readers expect. The model
# seed is the logistic kind: a few kilobytes, where the trees make a megabyte that would slow
# every fuzz input down.
# usage: fuzz/make-json-seeds.sh [path/to/tierank]   (default: target/release/tierank)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-target/release/tierank}")
corpus=$PWD/fuzz/corpus
karate=$PWD/examples/karate/data
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$bin" -q generate --preset tiny --seed 7 --out tiny
cp tiny/manifest.json "$corpus/manifest/tiny.json"
cp "$karate/manifest.json" "$corpus/manifest/karate.json"
"$bin" -q compare --data tiny --sample 200 --heuristics all --model-kind logistic --out cmp
cp cmp/model.json "$corpus/model/tiny-compare.json"
cp cmp/calibration.json "$corpus/calibration/tiny-compare.json"
printf '1\n34\n' > t.csv
printf '2\n33\n' > ex.csv
"$bin" -q select --data "$karate" --targets t.csv --heuristic common_neighbors --policy top-k:3 \
    --exclude ex.csv --out sel
cp sel/audit.json "$corpus/audit/karate-select.json"
echo "rewrote the JSON seeds in $corpus"
