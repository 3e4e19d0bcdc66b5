#!/usr/bin/env bash
# Remakes the small models the web demo ships (public/models/), each trained by the
# wordloom CLI with a fixed seed. Run from anywhere after `pnpm build`:
#   bash apps/demo/web/scripts/make-assets.sh [--data-dir DIR]
# The tokenizer, the sentiment model and the LM need the shared data folder (NSMC, Tiny Shakespeare);
# the date models and the vectors train on data committed in apps/demo/data.
set -euo pipefail
web="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$web/../../.." && pwd)"
cli=(node "$root/apps/demo/dist/cli.js")
models="$web/public/models"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
extra=("$@")

keep() { # keep <run dir> <dest> <files...>
  local from="$1" to="$2"; shift 2
  mkdir -p "$to"
  for f in "$@"; do cp "$from/$f" "$to/$f"; done
}

# Date translation, small enough for the page (hidden 64): Luong and Bahdanau attention.
for att in luong bahdanau; do
  "${cli[@]}" seq2seq date --attention "$att" --hidden 64 --embedding 16 --epochs 3 --seed 1 --quiet --out "$tmp/date-$att" "${extra[@]}"
  keep "$tmp/date-$att" "$models/date-$att" model.safetensors vocab.json metrics.json attention.svg
done

# Word vectors: skip-gram, 50 dimensions, on the committed Wikipedia excerpt; the page
# ships the 3,000 most frequent words (the file is frequency-sorted), rounded to 4 decimals.
"${cli[@]}" embed train --sg --size 50 --epochs 5 --seed 1 --quiet --out "$tmp/vectors" "${extra[@]}"
mkdir -p "$models/vectors"
awk -v n=3000 'NR == 1 { print n, $2; next } NR <= n + 1 { printf "%s", $1; for (i = 2; i <= NF; i++) printf " %.4f", $i; printf "\n" }' "$tmp/vectors/vectors.txt" > "$models/vectors/vectors.txt"
cp "$tmp/vectors/metrics.json" "$models/vectors/metrics.json"
# Text for training a small model in the page: the first 200 KB of the same excerpt.
gzip -dc "$root/apps/demo/data/enwiki-slice-AA.txt.gz" | head -c 200000 > "$models/vectors/sample.txt"

# fastText, Korean, for the embedding explorer: skip-gram on the first 200,000 NSMC raw reviews
# (CC0), every Hangul syllable split into jamo (--jamo), 32 dimensions, n-grams of 3–6 letters
# hashed into 50,000 buckets, words seen at least 10 times, 5 epochs, seed 1 (one thread, so the
# run is the same every time); stored as compact int8 (writeCompactFastText: one byte a value and
# a float32 scale a row), which the page reads with readCompactFastText (rows decoded on lookup).
data_dir="$root/../shared/data"
for ((i = 0; i < ${#extra[@]}; i++)); do
  if [[ "${extra[$i]}" == --data-dir ]]; then data_dir="${extra[$((i + 1))]}"; fi
done
node -e '
const [file, n] = process.argv.slice(1);
const lines = require("node:zlib").gunzipSync(require("node:fs").readFileSync(file)).toString("utf8").split("\n");
const out = [];
for (const line of lines) {
  if (!line) continue;
  const text = JSON.parse(line).review.split(/\s+/).filter(Boolean).join(" ");
  if (text && out.push(text) >= Number(n)) break;
}
process.stdout.write(out.join("\n") + "\n");
' "$data_dir/nsmc-raw/nsmc_raw_reviews.jsonl.gz" 200000 > "$tmp/nsmc-reviews.txt"
"${cli[@]}" embed train --method fasttext --jamo --sg --text "$tmp/nsmc-reviews.txt" --size 32 --min-count 10 --bucket 50000 --epochs 5 --seed 1 --quiet --out "$tmp/fasttext-ko" "${extra[@]}"
mkdir -p "$models/fasttext-ko"
(cd "$web" && node --input-type=module -e '
import { writeFileSync } from "node:fs";
import { loadFastTextBin, writeCompactFastText } from "@wordloom/embeddings";
const [bin, out] = process.argv.slice(1);
writeFileSync(out, writeCompactFastText(loadFastTextBin(bin).wv, { dtype: "int8" }));
' "$tmp/fasttext-ko/model.bin" "$models/fasttext-ko/vectors.wlft")
sed "s|$tmp/||" "$tmp/fasttext-ko/metrics.json" > "$models/fasttext-ko/metrics.json"

# A BPE on NSMC reviews (Korean), for the tokenizer playground.
"${cli[@]}" tokenize train --corpus nsmc --vocab-size 4000 --max-lines 50000 --seed 1 --out "$tmp/tokenizer" "${extra[@]}"
keep "$tmp/tokenizer" "$models/tokenizer" tokenizer.json metrics.json

# Korean sentiment (NSMC) for the Sentiment page, small enough to ship (≈ 0.5 MB): its own
# BPE (3,000 tokens), a BiLSTM with 32 units per direction and max pooling, 3 epochs on all
# training reviews with one replica (so the run is the same every time); ≈ 400 CPU seconds.
"${cli[@]}" classify nsmc --vocab-size 3000 --embedding 32 --hidden 32 --pooling max --batch-size 128 --lr 0.005 --epochs 3 --pretrain none --workers 1 --dev-size 2000 --eval-every 0 --seed 1 --quiet --out "$tmp/sentiment" "${extra[@]}"
keep "$tmp/sentiment" "$models/sentiment" model.safetensors tokenizer.json metrics.json

# A small character-level transformer LM on Tiny Shakespeare.
"${cli[@]}" lm shakespeare --model transformer --d-model 64 --layers 2 --heads 4 --block-size 64 --max-steps 1500 --eval-every 0 --seed 1 --quiet --out "$tmp/lm" "${extra[@]}"
keep "$tmp/lm" "$models/lm" model.safetensors vocab.json metrics.json sample.txt

du -sh "$models"/*
