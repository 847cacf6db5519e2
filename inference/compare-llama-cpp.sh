#!/usr/bin/env bash
# inference/compare-llama-cpp.sh --llama-cpp BIN_DIR [--models DIR] [--set small|all] [--widths "default 32 16"]
#                                [--rounds R] [--out FILE] [--llama-cpp-label TEXT] [--wrap CMD]
#
# Runs llama.cpp's llama-bench and `parley bench` on the same GGUF files, one after the other on this machine, and
# writes a Markdown table (default inference/BENCHMARKS-llama-cpp.md) with both columns, the ratios and the vector
# width Parley ran at (`default` = the JVM's preferred width; 32 / 16 = -XX:MaxVectorSize, i.e. an AVX2-like or
# 128-bit JVM on the same CPU; llama.cpp always runs its native build). Models are written by `parley forge` into
# DIR (default inference/target/bench-models) unless present: set small = 110M Q8_0 and F32, all adds the 1B-shaped
# Q8_0 and Q4_0. Figures: prefill of a 128-token prompt and decode of 32 tokens, one sequence, 2 threads; and for
# 110M Q8_0 and 1B Q4_0 the aggregate decode of 8 and 16 sequences (llama-batched-bench against `parley bench
# --batch 8,16`, both decoding 32 tokens per sequence at positions 8-40).
# --llama-cpp-label names the llama.cpp sources (e.g. their commit) when llama-bench reports its build as unknown.
# --wrap runs every benchmark command under CMD (e.g. a lock wrapper that keeps other jobs off the cores).
#
# llama.cpp is not part of the repo or of CI. Build it yourself, outside the repo, from a checkout of its sources:
#   cmake -B build -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF
#   cmake --build build -j --target llama-bench llama-batched-bench
# and pass build/bin as BIN_DIR. Run nothing else on the machine meanwhile: the two engines share its cores.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
LLAMA="" MODELS="$HERE/target/bench-models" SET=small WIDTHS="default 32" ROUNDS=3 OUT="$HERE/BENCHMARKS-llama-cpp.md" LABEL=""
WRAP=()
while [ $# -gt 0 ]; do
  case "$1" in
    --llama-cpp) LLAMA="${2:?}"; shift 2 ;;
    --models) MODELS="${2:?}"; shift 2 ;;
    --set) SET="${2:?}"; shift 2 ;;
    --widths) WIDTHS="${2:?}"; shift 2 ;;
    --rounds) ROUNDS="${2:?}"; shift 2 ;;
    --out) OUT="${2:?}"; shift 2 ;;
    --llama-cpp-label) LABEL="${2:?}"; shift 2 ;;
    --wrap) read -r -a WRAP <<<"${2:?}"; shift 2 ;;
    *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[ -x "$LLAMA/llama-bench" ] || { echo "compare-llama-cpp: no llama-bench in '$LLAMA' (--llama-cpp BIN_DIR)" >&2; exit 2; }
[ -x "$LLAMA/llama-batched-bench" ] || { echo "compare-llama-cpp: no llama-batched-bench in '$LLAMA'" >&2; exit 2; }
PARLEY="$ROOT/parley"
mkdir -p "$MODELS"

forge() { # name, forge arguments... -> path
  local f="$MODELS/$1.gguf"; shift
  [ -s "$f" ] || "$PARLEY" forge "$@" --out "$f" >&2
  echo "$f"
}
SMALL=(--dim 768 --layers 12 --heads 12 --ffn 2048 --vocab 32000)
ONE_B=(--dim 2048 --layers 16 --heads 32 --kv-heads 8 --ffn 8192 --vocab 128256 --tied)
NAMES=(110m-q8_0 110m-f32)
forge 110m-q8_0 "${SMALL[@]}" --type Q8_0 >/dev/null
forge 110m-f32 "${SMALL[@]}" --type F32 >/dev/null
if [ "$SET" = all ]; then
  NAMES+=(1b-q8_0 1b-q4_0)
  forge 1b-q8_0 "${ONE_B[@]}" --type Q8_0 >/dev/null
  forge 1b-q4_0 "${ONE_B[@]}" --type Q4_0 >/dev/null
fi

llama_bench() { # model -> "prefill decode build" (tokens/s, mean of ROUNDS; llama.cpp's build commit)
  ${WRAP[@]+"${WRAP[@]}"} "$LLAMA/llama-bench" -m "$1" -p 128 -n 32 -t 2 -r "$ROUNDS" -o csv 2>/dev/null | awk -F, '
    NR == 1 { for (i = 1; i <= NF; i++) { gsub(/"/, "", $i); col[$i] = i }; next }
    { gsub(/"/, ""); if ($col["n_prompt"] > 0) pp = $col["avg_ts"]; else tg = $col["avg_ts"] }
    { build = $col["build_commit"] }
    END { print pp, tg, build }'
}
# Sequences whose aggregate decode is compared, for the models in BATCHED.
BATCHES="8 16" BATCHED=" 110m-q8_0 1b-q4_0 "
llama_batched() { # model -> aggregate decode tokens/s per entry of BATCHES (llama-batched-bench S_TG, one run)
  local npl
  npl="$(tr ' ' , <<<"$BATCHES")"
  ${WRAP[@]+"${WRAP[@]}"} "$LLAMA/llama-batched-bench" -m "$1" -c 2048 -npp 8 -ntg 32 -npl "$npl" -t 2 --output-format jsonl \
    2>/dev/null | awk -v want="$BATCHES" '
      /"speed_tg"/ { match($0, /"pl": *[0-9]+/); pl = substr($0, RSTART, RLENGTH); sub(/.*: */, "", pl)
                     match($0, /"speed_tg": *[0-9.]+/); v = substr($0, RSTART, RLENGTH); sub(/.*: */, "", v); tg[pl] = v }
      END { n = split(want, b, " "); for (i = 1; i <= n; i++) printf "%s ", (b[i] in tg ? tg[b[i]] : "nan"); print "" }'
}
parley_bench() { # model, width, batch list (may be empty) -> "prefill decode width_bits aggregate..."
  local opts="" batch=()
  [ "$2" != default ] && opts="-XX:MaxVectorSize=$2"
  [ -n "$3" ] && batch=(--batch "$(tr ' ' , <<<"$3")")
  PARLEY_JAVA_OPTS="$opts" ${WRAP[@]+"${WRAP[@]}"} "$PARLEY" bench --model "$1" --threads 2 --prompt-tokens 128 --gen-tokens 32 \
    --rounds "$ROUNDS" ${batch[@]+"${batch[@]}"} --json | tail -1 | awk -v want="$3" '{
      match($0, /"prefill_tokens_per_s":[0-9.]+/); pp = substr($0, RSTART + 23, RLENGTH - 23)
      match($0, /"decode_tokens_per_s":[0-9.]+/); tg = substr($0, RSTART + 22, RLENGTH - 22)
      match($0, /"bits":[0-9]+/); bits = substr($0, RSTART + 7, RLENGTH - 7)
      printf "%s %s %s", pp, tg, bits
      n = split(want, b, " ")
      for (i = 1; i <= n; i++) { v = "nan"; if (match($0, "\"" b[i] "\":[0-9.]+")) v = substr($0, RSTART + length(b[i]) + 3, RLENGTH - length(b[i]) - 3); printf " %s", v }
      print "" }'
}

ROWS=() BATCH_ROWS=()
for name in "${NAMES[@]}"; do
  batches=""
  [[ "$BATCHED" == *" $name "* ]] && batches="$BATCHES"
  for width in $WIDTHS; do
    echo "llama-bench $name ..." >&2
    read -r lpp ltg LLAMA_BUILD <<<"$(llama_bench "$MODELS/$name.gguf")"
    echo "parley bench $name (width $width) ..." >&2
    read -r ppp ptg bits pagg <<<"$(parley_bench "$MODELS/$name.gguf" "$width" "$batches")"
    ROWS+=("$(awk -v n="$name" -v w="$width" -v b="$bits" -v lpp="$lpp" -v ltg="$ltg" -v ppp="$ppp" -v ptg="$ptg" 'BEGIN {
      printf "| %s | %s (%s bits) | %.1f | %.1f | %.2fx | %.1f | %.1f | %.2fx |", n, w, b, lpp, ppp, ppp / lpp, ltg, ptg, ptg / ltg }')")
    if [ -n "$batches" ]; then
      echo "llama-batched-bench $name ..." >&2
      lagg="$(llama_batched "$MODELS/$name.gguf")"
      BATCH_ROWS+=("$(awk -v n="$name" -v w="$width" -v b="$bits" -v want="$batches" -v l="$lagg" -v p="$pagg" 'BEGIN {
        k = split(want, s, " "); split(l, lv, " "); split(p, pv, " "); printf "| %s | %s (%s bits) |", n, w, b
        for (i = 1; i <= k; i++) printf " %.1f | %.1f | %.2fx |", lv[i], pv[i], pv[i] / lv[i]
        }')")
    fi
  done
done

{
  echo "# Parley and llama.cpp side by side"
  echo
  echo "Regenerated by \`inference/compare-llama-cpp.sh\` on $(date -u +%Y-%m-%d) at commit"
  echo "\`$(git -C "$ROOT" rev-parse --short HEAD)\`, on $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1),"
  echo "$(nproc) cores, CPU flags: $(grep -o -w -E 'avx512f|avx512_vnni|avx2|fma' /proc/cpuinfo | sort -u | tr '\n' ' ')."
  echo "llama.cpp: \`llama-bench -p 128 -n 32 -t 2 -r $ROUNDS\` (its native build, F16 KV cache), build"
  echo "\`${LABEL:-$LLAMA_BUILD}\`. Parley: \`parley bench --threads 2"
  echo "--prompt-tokens 128 --gen-tokens 32 --rounds $ROUNDS\` (F32 KV cache), the JVM width as given. Both ran on the"
  echo "same files, alternately, with nothing else running. Models from \`parley forge\` (random weights)."
  echo
  echo "| model | Parley width | llama.cpp prefill | Parley prefill | ratio | llama.cpp decode | Parley decode | ratio |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  if [ ${#BATCH_ROWS[@]} -gt 0 ]; then
    echo
    echo "Aggregate decode of several sequences (tokens/s, all sequences together): llama.cpp \`llama-batched-bench -c 2048"
    echo "-npp 8 -ntg 32 -npl $(tr ' ' , <<<"$BATCHES") -t 2\` (one run each), Parley \`parley bench --batch $(tr ' ' , <<<"$BATCHES")\` in the run above"
    echo "(median of $ROUNDS); both decode 32 tokens per sequence at positions 8-40."
    echo
    header="| model | Parley width |" rule="|---|---|"
    for b in $BATCHES; do header+=" llama.cpp $b seq | Parley $b seq | ratio |"; rule+="---|---|---|"; done
    echo "$header"
    echo "$rule"
    printf '%s\n' "${BATCH_ROWS[@]}"
  fi
} >"$OUT"
cat "$OUT"
