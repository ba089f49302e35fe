#!/usr/bin/env bash
# Builds the jcstress tests of the notifier core (module jcstress, Maven profile -Pjcstress) and
# runs them in a bounded mode: the quick preset, one fork, no split compilation (8 JVM
# configurations a test, about 40 s a test on 2 cores). The HTML report goes to
# jcstress/target/results/index.html. Exits non-zero if a test saw a forbidden outcome.
# Usage: jcstress/run.sh [test regex, default: all of ours] [more jcstress options]
set -euo pipefail
cd "$(dirname "$0")/.."
tests="${1:-org\.mmunotifier\.}"
shift $(( $# > 0 ? 1 : 0 ))
mvn -B -q -ntp -Pjcstress -pl jcstress -am package -DskipTests
cd jcstress/target
exec java -jar jcstress.jar -t "$tests" -m quick -sc false -f 1 -r results "$@"
