#!/usr/bin/env bash
# inference/jmh.sh [JMH arguments]: runs the kernel microbenchmarks (src/test/java/dev/parley/inference/jmh) with JMH.
#   inference/jmh.sh                                  every benchmark, every format and batch (about 20 minutes)
#   inference/jmh.sh 'KernelBench.matmul' -p format=Q4_0,Q8_0 -p batch=1,16
#   inference/jmh.sh -l                               list them
# Builds the test classes first. Uses the same JDK search as the `parley` launcher (JAVA_HOME if it is 25+).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
. "$ROOT/bin/find-jdk.sh"
JAVA_HOME="$(find_jdk)" || { echo "jmh.sh: needs a JDK 25 or newer; set JAVA_HOME" >&2; exit 2; }
export JAVA_HOME
cd "$ROOT"
./mvnw -B -q -pl inference test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/jmh.classpath >&2
CP="inference/target/test-classes:inference/target/classes:$(cat inference/target/jmh.classpath)"
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$CP" org.openjdk.jmh.Main "$@"
