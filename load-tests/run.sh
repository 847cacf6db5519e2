#!/usr/bin/env bash
# load-tests/run.sh: runs a Gatling load profile against Parley and fails when an SLO or the error budget breaks.
#
#   load-tests/run.sh (--model PATH | --url URL) --profile smoke|sweep|poisson
#                     [--slo-ttft-p99-ms N] [--slo-itl-p99-ms N] [--serve-arg ARG ...] [-Dname=value ...]
#
# --model starts `parley serve` on a free loopback port, waits for /health/ready and always stops it (by PID) at the
# end; --serve-arg passes one more option to it (e.g. --serve-arg --slow-reader-timeout=5). --url targets a server
# that is already running. -D options go to the simulation (see LoadConfig.java: -Drate=, -DdurationSeconds=,
# -Dlevels=, -DstepSeconds=, -DpromptWords=, -DmaxTokens=, -Dapi=ws|sse|both, -DslowReaders=N,
# -DslowReaderBytesPerSecond=, ...).
# Leaves Gatling's HTML report in load-tests/target/gatling/ and load-tests/target/summary.{json,md}.
# Exit status: 0 passed, 1 an SLO or the error budget was broken (or the run failed), 2 bad usage or no server.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
OUT="$HERE/target"

# Defaults are loose on purpose: they catch hangs and collapses on a shared CI machine; pass real SLOs for real runs.
SLO_TTFT_P99_MS=10000
SLO_ITL_P99_MS=2000
MODEL="" URL="" PROFILE="" EXTRA=() SERVE_ARGS=()
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --model) MODEL="${2:?}"; shift 2 ;;
    --url) URL="${2:?}"; shift 2 ;;
    --profile) PROFILE="${2:?}"; shift 2 ;;
    --slo-ttft-p99-ms) SLO_TTFT_P99_MS="${2:?}"; shift 2 ;;
    --slo-itl-p99-ms) SLO_ITL_P99_MS="${2:?}"; shift 2 ;;
    --serve-arg) SERVE_ARGS+=("${2:?}"); shift 2 ;;
    -D*) EXTRA+=("$1"); shift ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown argument $1" >&2; usage ;;
  esac
done
case "$PROFILE" in smoke|sweep|poisson) ;; *) echo "run.sh: --profile must be smoke, sweep or poisson" >&2; usage ;; esac
if { [ -n "$MODEL" ] && [ -n "$URL" ]; } || { [ -z "$MODEL" ] && [ -z "$URL" ]; }; then
  echo "run.sh: give exactly one of --model PATH or --url URL" >&2; usage
fi
if [ -n "$URL" ] && [ ${#SERVE_ARGS[@]} -gt 0 ]; then
  echo "run.sh: --serve-arg needs --model (run.sh does not start the server behind --url)" >&2; usage
fi

# The JDK search every script shares: JAVA_HOME if it is 25+, else the usual install folders.
. "$ROOT/bin/find-jdk.sh"
JAVA_HOME="$(find_jdk)" || { echo "run.sh: needs a JDK 25 or newer; set JAVA_HOME" >&2; exit 2; }
export JAVA_HOME

# HTTP status of GET http://127.0.0.1:PORT/PATH with bash alone (a fresh machine may lack curl).
http_status() {
  local port="$1" path="$2" line
  { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || { echo 000; return; }
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3
  IFS= read -r -t 5 line <&3 || line=""
  exec 3>&- 3<&-
  echo "$line" | cut -d' ' -f2
}

SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    echo "run.sh: stopped the server (pid $SERVER_PID)" >&2
  fi
}
trap stop_server EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT"
rm -f "$OUT/summary.json" "$OUT/summary.md" "$OUT/levels.json" "$OUT/slo-violations.txt"
if [ -n "$MODEL" ]; then
  [ -f "$MODEL" ] || { echo "run.sh: model file not found: $MODEL" >&2; exit 2; }
  "$ROOT/parley" --help >/dev/null # builds the server first when needed, so the PID below is the server's JVM
  for _ in $(seq 1 50); do # a free loopback port: nothing answers on it
    PORT=$(( 20000 + RANDOM % 40000 ))
    [ "$(http_status "$PORT" /)" = 000 ] && break
  done
  "$ROOT/parley" serve --model "$MODEL" --host 127.0.0.1 --port "$PORT" ${SERVE_ARGS[@]+"${SERVE_ARGS[@]}"} >"$OUT/server.log" 2>&1 &
  SERVER_PID=$!
  echo "run.sh: started parley serve on port $PORT (pid $SERVER_PID, log $OUT/server.log)" >&2
  for i in $(seq 1 240); do
    [ "$(http_status "$PORT" /health/ready)" = 200 ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "run.sh: the server exited; see $OUT/server.log" >&2; tail -5 "$OUT/server.log" >&2; exit 2; }
    [ "$i" = 240 ] && { echo "run.sh: the server was not ready within 120 s" >&2; exit 2; }
    sleep 0.5
  done
  URL="http://127.0.0.1:$PORT"
fi

echo "run.sh: profile $PROFILE against $URL (SLO p99 TTFT ≤ $SLO_TTFT_P99_MS ms, p99 ITL ≤ $SLO_ITL_P99_MS ms, 0 errors)" >&2
set +e
(cd "$ROOT" && ./mvnw -B -q -pl load-tests gatling:test -Dprofile="$PROFILE" -DbaseUrl="$URL" \
  -DsloTtftP99Ms="$SLO_TTFT_P99_MS" -DsloItlP99Ms="$SLO_ITL_P99_MS" -DoutputDir="$OUT" ${EXTRA[@]+"${EXTRA[@]}"})
GATLING_RC=$?
set -e

REPORT="$(ls -td "$OUT"/gatling/*/ 2>/dev/null | head -1)"
echo "run.sh: Gatling report ${REPORT:-missing}index.html; summary $OUT/summary.json and summary.md" >&2
if [ ! -f "$OUT/slo-violations.txt" ]; then
  echo "run.sh: FAIL: the simulation did not finish (Gatling exit $GATLING_RC)" >&2; exit 1
fi
if [ -s "$OUT/slo-violations.txt" ]; then
  sed 's/^/run.sh: FAIL: /' "$OUT/slo-violations.txt" >&2; exit 1
fi
[ "$GATLING_RC" = 0 ] || { echo "run.sh: FAIL: Gatling exited with $GATLING_RC" >&2; exit 1; }
echo "run.sh: PASS" >&2
