#!/usr/bin/env bash
# Makes the JDK home Fray's prepare-fray goal links its instrumented JDK from: OUTPUT (under
# target/) stands for $JDK25_HOME. Fray runs `OUTPUT/bin/jlink ... --add-modules=ALL-MODULE-PATH
# --module-path=OUTPUT/jmods`, which needs the JDK's jmods/. A JDK built without them (JEP 493,
# Temurin 25 among others) links from its run-time image instead: there OUTPUT/bin/jlink drops that
# module path and names the image's modules, less jdk.jlink and jdk.jpackage, which an image-based
# link cannot copy. A JDK with jmods/ is passed through unchanged.
#
# usage: JDK25_HOME=/path/to/jdk-25 fray-jdk.sh OUTPUT
set -euo pipefail
jdk=${JDK25_HOME:?set JDK25_HOME to a JDK 25 home}
out=${1:?usage: fray-jdk.sh OUTPUT}
[ -x "$jdk/bin/java" ] && [ -x "$jdk/bin/jlink" ] || { echo "fray-jdk.sh: no JDK with jlink at $jdk" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/bin"
for f in "$jdk"/*; do
  [ "$(basename "$f")" = bin ] || ln -s "$f" "$out/$(basename "$f")"
done
for f in "$jdk"/bin/*; do
  [ "$(basename "$f")" = jlink ] || ln -s "$f" "$out/bin/$(basename "$f")"
done

if [ -d "$jdk/jmods" ]; then
  ln -s "$jdk/bin/jlink" "$out/bin/jlink"
  exit 0
fi

modules=$("$jdk/bin/java" --list-modules | sed 's/@.*//' | grep -vxE 'jdk\.jlink|jdk\.jpackage' | paste -sd, -)
cat >"$out/bin/jlink" <<EOF
#!/usr/bin/env bash
# Written by fray-jdk.sh: jlink from the run-time image of $jdk (it has no jmods/).
args=()
for a in "\$@"; do
  case "\$a" in
    --module-path=*) ;;
    --add-modules=ALL-MODULE-PATH) args+=("--add-modules=$modules") ;;
    *) args+=("\$a") ;;
  esac
done
exec "$jdk/bin/jlink" "\${args[@]}"
EOF
chmod +x "$out/bin/jlink"
