#!/usr/bin/env bash
# Profiles the whole machine with the workload and the three drivers' devices at once (EndToEnd's
# "both"): a wall-clock flame graph per thread from async-profiler (fetched from Maven Central) and a
# JFR recording. Writes bench/target/flame-wall.html, bench/target/flame-cpu.html and
# bench/target/endtoend.jfr. Usage: bench/profile.sh [seconds]   (10 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
mvn -B -q -ntp -pl bench -am package -DskipTests
ap=bench/target/async-profiler
mvn -B -q -ntp dependency:copy -Dartifact=tools.profiler:async-profiler:3.0 -DoutputDirectory="$ap"
(cd "$ap" && unzip -q -o async-profiler-3.0.jar 'linux-x64/*')
lib="$PWD/$ap/linux-x64/libasyncProfiler.so"
run() { java -De2e.modes=both "$@" -cp bench/target/benchmarks.jar org.mmunotifier.bench.EndToEnd - 1 "$seconds"; }
# wall: where every thread spends its time, waiting included (the workload threads' waits are the lesson)
run "-agentpath:$lib=start,event=wall,interval=1ms,threads,file=bench/target/flame-wall.html"
# cpu (itimer: no perf_events needed): what burns the cores
run "-agentpath:$lib=start,event=itimer,threads,file=bench/target/flame-cpu.html"
run -XX:StartFlightRecording:filename=bench/target/endtoend.jfr,settings=profile
echo "wrote bench/target/flame-wall.html, bench/target/flame-cpu.html, bench/target/endtoend.jfr"
