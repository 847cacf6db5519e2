#!/usr/bin/env bash
# inference/compare-llama-cpp.sh --llama-cpp BIN_DIR [--llama-cpp-for WIDTH=BIN_DIR]... [--models DIR] [--set small|all]
#                                [--widths "default 32 16"] [--rounds R] [--out FILE] [--llama-cpp-label TEXT] [--wrap CMD]
#
# Runs llama.cpp's llama-bench and `parley bench` on the same GGUF files, one after the other on this machine, and
# writes a Markdown table (default inference/BENCHMARKS-llama-cpp.md) with both columns, the ratios and the vector
# width Parley ran at (`default` = the JVM's preferred width; 32 / 16 = -XX:MaxVectorSize, i.e. an AVX2-like or
# 128-bit JVM on the same CPU). llama.cpp runs the build in --llama-cpp, or for a width given in --llama-cpp-for
# (repeatable) that build instead, e.g. `--llama-cpp-for 32=DIR` with an AVX2-only build (-DGGML_NATIVE=OFF
# -DGGML_AVX2=ON -DGGML_AVX512=OFF ...) for Parley at 256 bits; each row names the build it used. Each Parley figure
# also comes as a fraction of its physical limit as `parley bench` measures it in the same run: prefill and batched
# decode of the f32 FMA peak at that width, single-sequence decode of the read bandwidth over the model's weights.
# The header records the CPU and, per width, `parley info --system`'s FMA peak and read bandwidth.
# Models are written by `parley forge` into
# DIR (default inference/target/bench-models) unless present: set small = 110M Q8_0 and F32, all adds the 1B-shaped
# Q8_0 and Q4_0. Figures: prefill of a 128-token prompt and decode of 32 tokens, one sequence, 2 threads; and for
# 110M Q8_0 and 1B Q4_0 the aggregate decode of 8 and 16 sequences (llama-batched-bench against `parley bench
# --batch 8,16`, both decoding 32 tokens per sequence at positions 8-40).
# --llama-cpp-label names the llama.cpp sources (e.g. their commit) when llama-bench reports its build as unknown
# (every build given; the header adds each build's flags from its CMakeCache.txt).
# --wrap runs every benchmark command under CMD (e.g. a lock wrapper that keeps other jobs off the cores).
#
# llama.cpp is not part of the repo or of CI. Build it yourself, outside the repo, from a checkout of its sources:
#   cmake -B build -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF
#   cmake --build build -j --target llama-bench llama-batched-bench
# and pass build/bin as BIN_DIR. An AVX2-only build of the same sources for --llama-cpp-for 32=...: another build
# directory configured with -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
# -DGGML_AVX512=OFF. Run nothing else on the machine meanwhile: the two engines share its cores.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
LLAMA="" MODELS="$HERE/target/bench-models" SET=small WIDTHS="default 32" ROUNDS=3 OUT="$HERE/BENCHMARKS-llama-cpp.md" LABEL=""
WRAP=()
declare -A LLAMA_FOR=() # JVM width -> llama.cpp build directory for that width's rows
while [ $# -gt 0 ]; do
  case "$1" in
    --llama-cpp) LLAMA="${2:?}"; shift 2 ;;
    --llama-cpp-for)
      [[ "${2:-}" == ?*=?* ]] || { echo "compare-llama-cpp: --llama-cpp-for takes WIDTH=BIN_DIR, not '${2:-}'" >&2; exit 2; }
      LLAMA_FOR["${2%%=*}"]="${2#*=}"; shift 2 ;;
    --models) MODELS="${2:?}"; shift 2 ;;
    --set) SET="${2:?}"; shift 2 ;;
    --widths) WIDTHS="${2:?}"; shift 2 ;;
    --rounds) ROUNDS="${2:?}"; shift 2 ;;
    --out) OUT="${2:?}"; shift 2 ;;
    --llama-cpp-label) LABEL="${2:?}"; shift 2 ;;
    --wrap) read -r -a WRAP <<<"${2:?}"; shift 2 ;;
    *) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
for dir in "$LLAMA" "${LLAMA_FOR[@]}"; do
  [ -x "$dir/llama-bench" ] || { echo "compare-llama-cpp: no llama-bench in '$dir' (--llama-cpp BIN_DIR)" >&2; exit 2; }
  [ -x "$dir/llama-batched-bench" ] || { echo "compare-llama-cpp: no llama-batched-bench in '$dir'" >&2; exit 2; }
done
for width in "${!LLAMA_FOR[@]}"; do
  [[ " $WIDTHS " == *" $width "* ]] || { echo "compare-llama-cpp: --llama-cpp-for $width: no such width in --widths '$WIDTHS'" >&2; exit 2; }
done
llama_for() { echo "${LLAMA_FOR[$1]:-$LLAMA}"; } # width -> build directory
llama_isa() { # build directory -> how it was built, from the CMake cache next to it when there is one
  local cache="$1/../CMakeCache.txt"
  [ -f "$cache" ] || { echo "build flags unknown"; return; }
  if grep -q '^GGML_NATIVE:BOOL=ON' "$cache"; then echo "GGML_NATIVE"; return; fi
  sed -n 's/^GGML_\(AVX[A-Z0-9_]*\|FMA\|F16C\):BOOL=ON$/\1/p' "$cache" | tr '\n' ' ' | sed 's/ $//'
}
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

llama_bench() { # build dir, model -> "prefill decode build" (tokens/s, mean of ROUNDS; llama.cpp's build commit)
  ${WRAP[@]+"${WRAP[@]}"} "$1/llama-bench" -m "$2" -p 128 -n 32 -t 2 -r "$ROUNDS" -o csv 2>/dev/null | awk -F, '
    NR == 1 { for (i = 1; i <= NF; i++) { gsub(/"/, "", $i); col[$i] = i }; next }
    { gsub(/"/, ""); if ($col["n_prompt"] > 0) pp = $col["avg_ts"]; else tg = $col["avg_ts"] }
    { build = $col["build_commit"] }
    END { print pp, tg, build }'
}
# Sequences whose aggregate decode is compared, for the models in BATCHED.
BATCHES="8 16" BATCHED=" 110m-q8_0 1b-q4_0 "
llama_batched() { # build dir, model -> aggregate decode tokens/s per entry of BATCHES (llama-batched-bench S_TG, one run)
  local npl
  npl="$(tr ' ' , <<<"$BATCHES")"
  ${WRAP[@]+"${WRAP[@]}"} "$1/llama-batched-bench" -m "$2" -c 2048 -npp 8 -ntg 32 -npl "$npl" -t 2 --output-format jsonl \
    2>/dev/null | awk -v want="$BATCHES" '
      /"speed_tg"/ { match($0, /"pl": *[0-9]+/); pl = substr($0, RSTART, RLENGTH); sub(/.*: */, "", pl)
                     match($0, /"speed_tg": *[0-9.]+/); v = substr($0, RSTART, RLENGTH); sub(/.*: */, "", v); tg[pl] = v }
      END { n = split(want, b, " "); for (i = 1; i <= n; i++) printf "%s ", (b[i] in tg ? tg[b[i]] : "nan"); print "" }'
}
parley_bench() { # model, width, batch list (may be empty) ->
                 # "prefill decode width_bits prefill_fma_fraction decode_bandwidth_fraction aggregate... fma_fraction..."
  local opts="" batch=()
  [ "$2" != default ] && opts="-XX:MaxVectorSize=$2"
  [ -n "$3" ] && batch=(--batch "$(tr ' ' , <<<"$3")")
  PARLEY_JAVA_OPTS="$opts" ${WRAP[@]+"${WRAP[@]}"} "$PARLEY" bench --model "$1" --threads 2 --prompt-tokens 128 --gen-tokens 32 \
    --rounds "$ROUNDS" ${batch[@]+"${batch[@]}"} --json | tail -1 | awk -v want="$3" '{
      match($0, /"prefill_tokens_per_s":[0-9.]+/); pp = substr($0, RSTART + 23, RLENGTH - 23)
      match($0, /"decode_tokens_per_s":[0-9.]+/); tg = substr($0, RSTART + 22, RLENGTH - 22)
      match($0, /"bits":[0-9]+/); bits = substr($0, RSTART + 7, RLENGTH - 7)
      match($0, /"prefill_fma_fraction":[0-9.]+/); ppf = substr($0, RSTART + 23, RLENGTH - 23)
      match($0, /"decode_bandwidth_fraction":[0-9.]+/); tgf = substr($0, RSTART + 28, RLENGTH - 28)
      printf "%s %s %s %s %s", pp, tg, bits, ppf, tgf
      n = split(want, b, " ")
      # aggregate tokens/s: the first map with batch keys (aggregate_decode_by_batch); then the FMA fractions by batch
      for (i = 1; i <= n; i++) { v = "nan"; if (match($0, "\"" b[i] "\":[0-9.]+")) v = substr($0, RSTART + length(b[i]) + 3, RLENGTH - length(b[i]) - 3); printf " %s", v }
      fractions = $0; sub(/.*"decode_fma_fraction_by_batch":/, "", fractions)
      for (i = 1; i <= n; i++) { v = "nan"; if (match(fractions, "\"" b[i] "\":[0-9.]+")) v = substr(fractions, RSTART + length(b[i]) + 3, RLENGTH - length(b[i]) - 3); printf " %s", v }
      print "" }'
}
system_probe() { # width -> "fma_peak_gflops read_bandwidth_gbs" from `parley info --system` at that width
  local opts=""
  [ "$1" != default ] && opts="-XX:MaxVectorSize=$1"
  PARLEY_JAVA_OPTS="$opts" ${WRAP[@]+"${WRAP[@]}"} "$PARLEY" info --system --json | tail -1 | awk '{
      match($0, /"fma_peak_gflops":[0-9.]+/); fma = substr($0, RSTART + 18, RLENGTH - 18)
      match($0, /"read_bandwidth_gbs":[0-9.]+/); bw = substr($0, RSTART + 21, RLENGTH - 21)
      match($0, /"bits":[0-9]+/); bits = substr($0, RSTART + 7, RLENGTH - 7)
      print fma, bw, bits }'
}

PROBE_ROWS=()
for width in $WIDTHS; do
  echo "parley info --system (width $width) ..." >&2
  read -r fma bw bits <<<"$(system_probe "$width")"
  PROBE_ROWS+=("| $width ($bits bits) | $fma | $bw |")
done
declare -A BUILD_NAMES=() # build directory -> "commit, flags", as llama-bench reports the commit
ROWS=() BATCH_ROWS=()
for name in "${NAMES[@]}"; do
  batches=""
  [[ "$BATCHED" == *" $name "* ]] && batches="$BATCHES"
  for width in $WIDTHS; do
    build_dir="$(llama_for "$width")"
    echo "llama-bench $name ($build_dir) ..." >&2
    read -r lpp ltg commit <<<"$(llama_bench "$build_dir" "$MODELS/$name.gguf")"
    build="$commit"
    [ -n "$LABEL" ] && build="$LABEL"
    BUILD_NAMES["$build_dir"]="$build, $(llama_isa "$build_dir")"
    build_cell="\`$build_dir\`"
    echo "parley bench $name (width $width) ..." >&2
    read -r ppp ptg bits ppf ptgf pagg <<<"$(parley_bench "$MODELS/$name.gguf" "$width" "$batches")"
    ROWS+=("$(awk -v n="$name" -v w="$width" -v b="$bits" -v lb="$build_cell" -v lpp="$lpp" -v ltg="$ltg" -v ppp="$ppp" -v ptg="$ptg" \
      -v ppf="$ppf" -v ptgf="$ptgf" 'BEGIN {
      printf "| %s | %s (%s bits) | %s | %.1f | %.1f (%.2f) | %.2fx | %.1f | %.1f (%.2f) | %.2fx |", n, w, b, lb, lpp, ppp, ppf, ppp / lpp,
        ltg, ptg, ptgf, ptg / ltg }')")
    if [ -n "$batches" ]; then
      echo "llama-batched-bench $name ($build_dir) ..." >&2
      lagg="$(llama_batched "$build_dir" "$MODELS/$name.gguf")"
      BATCH_ROWS+=("$(awk -v n="$name" -v w="$width" -v b="$bits" -v lb="$build_cell" -v want="$batches" -v l="$lagg" -v p="$pagg" 'BEGIN {
        k = split(want, s, " "); split(l, lv, " "); split(p, pv, " "); printf "| %s | %s (%s bits) | %s |", n, w, b, lb
        for (i = 1; i <= k; i++) printf " %.1f | %.1f (%.2f) | %.2fx |", lv[i], pv[i], pv[k + i], pv[i] / lv[i]
        }')")
    fi
  done
done

{
  echo "# Parley and llama.cpp side by side"
  echo
  echo "Regenerated by \`inference/compare-llama-cpp.sh\` on $(date -u +%Y-%m-%d) at commit"
  echo "\`$(git -C "$ROOT" rev-parse --short HEAD)\`, on $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
  echo "(cpu family $(sed -n 's/^cpu family\s*: //p' /proc/cpuinfo | head -1), model $(sed -n 's/^model\s*: //p' /proc/cpuinfo | head -1)),"
  echo "$(nproc) cores, CPU flags: $(grep -o -w -E 'avx512f|avx512_vnni|avx2|fma' /proc/cpuinfo | sort -u | tr '\n' ' ')."
  echo "llama.cpp: \`llama-bench -p 128 -n 32 -t 2 -r $ROUNDS\` (F16 KV cache), builds:"
  for dir in "${!BUILD_NAMES[@]}"; do echo "\`$dir\` = \`${BUILD_NAMES[$dir]}\`;"; done
  echo "each row names the build it ran. Parley: \`parley bench --threads 2"
  echo "--prompt-tokens 128 --gen-tokens 32 --rounds $ROUNDS\` (F32 KV cache), the JVM width as given. Both ran on the"
  echo "same files, alternately, with nothing else running. Models from \`parley forge\` (random weights)."
  echo
  echo "This machine's limits as \`parley info --system\` probes them at each width (f32 FMA peak: 12 independent FMA"
  echo "chains per thread on 2 threads; read bandwidth: vector sums over 512 MiB):"
  echo
  echo "| Parley width | f32 FMA peak, GFLOP/s | read bandwidth, GB/s |"
  echo "|---|---|---|"
  printf '%s\n' "${PROBE_ROWS[@]}"
  echo
  echo "Tokens/s; in parentheses each Parley figure's fraction of its physical limit, measured by \`parley bench\` in"
  echo "the same run: prefill, of the f32 FMA peak at that width (2 FLOP per multiply-add of the matrices and attention);"
  echo "decode, its weight bytes per second over the read bandwidth of a vector sum over the same weights."
  echo
  echo "| model | Parley width | llama.cpp build | llama.cpp prefill | Parley prefill (of FMA peak) | ratio | llama.cpp decode | Parley decode (of bandwidth) | ratio |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  if [ ${#BATCH_ROWS[@]} -gt 0 ]; then
    echo
    echo "Aggregate decode of several sequences (tokens/s, all sequences together): llama.cpp \`llama-batched-bench -c 2048"
    echo "-npp 8 -ntg 32 -npl $(tr ' ' , <<<"$BATCHES") -t 2\` (one run each), Parley \`parley bench --batch $(tr ' ' , <<<"$BATCHES")\` in the run above"
    echo "(median of $ROUNDS); both decode 32 tokens per sequence at positions 8-40. In parentheses: Parley's fraction of"
    echo "the f32 FMA peak at that width."
    echo
    header="| model | Parley width | llama.cpp build |" rule="|---|---|---|"
    for b in $BATCHES; do header+=" llama.cpp $b seq | Parley $b seq (of FMA peak) | ratio |"; rule+="---|---|---|"; done
    echo "$header"
    echo "$rule"
    printf '%s\n' "${BATCH_ROWS[@]}"
  fi
} >"$OUT"
cat "$OUT"
