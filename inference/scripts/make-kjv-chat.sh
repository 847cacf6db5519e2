#!/usr/bin/env bash
# make-kjv-chat.sh: the whole recipe of Parley's built-in models (inference/MODEL_CARD.md), from the corpus to the
# before/after table: pretrains parley-kjv (context 512), generates the synthetic conversations, tunes parley-kjv-chat
# (sft, then preference pairs ranked by the constitution, then dpo) and measures both models on the held-out prompts.
#
#   inference/scripts/make-kjv-chat.sh [--corpus FILE] [--work DIR] [--install]
#
# --corpus  the King James Bible as ../shared/corpora/kjv/kjv.txt has it (default: that file)
# --work    where the models, data, logs and the table go (default: /tmp/kjv-chat)
# --install copy the two models into inference's resources (the built-in models)
# PARLEY (default: the repo's ./parley) runs each command; set it to wrap them (e.g. "/work/bin/cpu-build ./parley").
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CORPUS="$ROOT/../shared/corpora/kjv/kjv.txt"
WORK=/tmp/kjv-chat
INSTALL=no
while [ $# -gt 0 ]; do
  case "$1" in
    --corpus) CORPUS="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --install) INSTALL=yes; shift ;;
    *) echo "make-kjv-chat.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -f "$CORPUS" ] || { echo "make-kjv-chat.sh: no corpus at $CORPUS (--corpus FILE)" >&2; exit 2; }
read -r -a PARLEY <<< "${PARLEY:-$ROOT/parley}"
. "$ROOT/bin/find-jdk.sh"
JAVA_HOME="$(find_jdk)" || { echo "make-kjv-chat.sh: needs a JDK 25 or newer (set JAVA_HOME)" >&2; exit 1; }
export JAVA_HOME
RULES="$ROOT/inference/scripts/kjv-chat/constitution.yaml"
mkdir -p "$WORK"
cd "$ROOT"

step() { echo "== $(date -u +%H:%M:%S) $*"; }
timed() { # name, command...: runs it with its output in WORK/name.log, and notes the wall time
  local name="$1" start
  shift
  start=$(date +%s)
  "$@" > "$WORK/$name.log" 2>&1 || { echo "make-kjv-chat.sh: $name failed, see $WORK/$name.log" >&2; tail -5 "$WORK/$name.log" >&2; exit 1; }
  echo "$name: $(( $(date +%s) - start )) s" | tee -a "$WORK/timings.txt"
}
: > "$WORK/timings.txt"

step "build (the data generator is a test-scope class of inference)"
./mvnw -B -q -DskipTests package

step "1. pretrain the base, parley-kjv: context 512"
timed train "${PARLEY[@]}" train --corpus "$CORPUS" --out "$WORK/parley-kjv.gguf" --vocab 1024 --dim 128 --layers 4 --heads 4 \
  --context 512 --batch 4 --steps 1000 --lr 2e-3 --seed 1 --val-split 0.1 --eval-interval 250 --quantize q8_0

step "2. synthetic conversations and prompts from the corpus"
timed data "$JAVA_HOME/bin/java" -cp "inference/target/test-classes:server/target/lib/*" dev.parley.inference.train.KjvChatData \
  "$CORPUS" "$RULES" "$WORK/data" 1

step "3. supervised fine-tuning (adds ChatML's tokens and template)"
timed sft "${PARLEY[@]}" tune sft --model "$WORK/parley-kjv.gguf" --data "$WORK/data/sft-train.jsonl" --val "$WORK/data/sft-val.jsonl" \
  --out "$WORK/kjv-sft.gguf" --steps 200 --batch 16 --lr 5e-4 --eval-interval 100 --seed 1

step "4. preference pairs: 4 answers per prompt, ranked by the constitution"
timed prefs "${PARLEY[@]}" tune prefs --model "$WORK/kjv-sft.gguf" --prompts "$WORK/data/prefs-prompts.jsonl" --constitution "$RULES" \
  --samples 4 --temperature 1.0 --max-tokens 96 --seed 1 --out "$WORK/data/pairs.jsonl"

step "5. direct preference optimization"
timed dpo "${PARLEY[@]}" tune dpo --model "$WORK/kjv-sft.gguf" --data "$WORK/data/pairs.jsonl" --out "$WORK/parley-kjv-chat.gguf" \
  --steps 60 --batch 8 --lr 1e-4 --beta 0.1 --seed 1

step "6. before/after on the held-out prompts"
: > "$WORK/table.md"
for model in parley-kjv parley-kjv-chat; do
  for temperature in 0 0.8; do
    corpus=() # the corpus loss does not depend on the sampling: measured once per model
    [ "$temperature" = 0 ] && corpus=(--corpus "$CORPUS")
    timed "eval-$model-$temperature" "${PARLEY[@]}" tune eval --model "$WORK/$model.gguf" --prompts "$WORK/data/heldout-prompts.jsonl" \
      --constitution "$RULES" --temperature "$temperature" --seed 1 --max-tokens 96 "${corpus[@]}"
    grep '^| ' "$WORK/eval-$model-$temperature.log" | { if [ -s "$WORK/table.md" ]; then tail -1; else cat; fi; } >> "$WORK/table.md"
  done
done
cat "$WORK/table.md"

if [ "$INSTALL" = yes ]; then
  cp "$WORK/parley-kjv.gguf" "$WORK/parley-kjv-chat.gguf" inference/src/main/resources/dev/parley/inference/default-model/
  step "installed both models into inference/src/main/resources/dev/parley/inference/default-model/"
fi
step "done; timings in $WORK/timings.txt"
