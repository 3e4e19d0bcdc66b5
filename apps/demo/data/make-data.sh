#!/bin/sh
# Rebuilds the data files in this folder from ../shared/data (see README.md). Run from the repo root:
#   sh apps/demo/data/make-data.sh
set -eu
SRC=${1:-../shared/data}
OUT=apps/demo/data
gzip -9 -n -c "$SRC/dlfs2-seq2seq/date.txt" > "$OUT/date.txt.gz"
gzip -9 -n -c "$SRC/dlfs2-seq2seq/addition.txt" > "$OUT/addition.txt.gz"
# English Wikipedia: drop the <doc ...> / </doc> lines, keep whole lines up to 7,800,000 bytes.
gzip -dc "$SRC/enwiki-slice/wiki_AA.txt.gz" | grep -v -E '^<doc |^</doc>' \
  | awk 'BEGIN{n=0} {n+=length($0)+1; if (n>7800000) exit; print}' \
  | gzip -9 -n -c > "$OUT/enwiki-slice-AA.txt.gz"
