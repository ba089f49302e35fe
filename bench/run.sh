#!/usr/bin/env bash
# Builds the benchmarks, runs them all (about 17 minutes on 2 cores), then the end-to-end run
# (org.mmunotifier.bench.EndToEnd, about 2 minutes), and writes bench/RESULTS.md.
# Usage: bench/run.sh [extra JMH options, e.g. a benchmark regex like DispatchBench]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -ntp -pl bench -am package -DskipTests
out=bench/target/results.json
# 2 forks (the report takes the median of the forks), 3 warm-up and 5 measured 1 s iterations,
# allocation per operation from the GC profiler.
java -jar bench/target/benchmarks.jar -f 2 -wi 3 -w 1s -i 5 -r 1s -prof gc -rf json -rff "$out" "$@"
# The whole machine end to end (about 2 minutes): workload alone, devices alone, both; 3 rounds of 10 s
# (the workload alone varies from run to run on a shared host: shorter runs scattered 2x).
e2e=bench/target/endtoend.jsonl
java -cp bench/target/benchmarks.jar org.mmunotifier.bench.EndToEnd "$e2e" 3 10
python3 bench/report.py "$out" "$e2e" > bench/RESULTS.md
echo "wrote bench/RESULTS.md"
