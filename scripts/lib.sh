# Shared by the scripts: finds a JDK >= 22 (java.lang.foreign and the Vector API) and builds the project when needed.
# Source it; it sets JAVA_HOME, JAVA, ALLOY_ROOT and defines alloy_build / alloy_java.

ALLOY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

_jdk_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -1; }

alloy_find_jdk() {
  local best="" best_v=0 c v
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/* /opt/java/* /usr/local/lib/jvm/*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    v=$(_jdk_major "$c"); v=${v%%.*}
    [[ "$v" =~ ^[0-9]+$ ]] || continue
    if [ "$v" -ge 22 ] && [ "$v" -gt "$best_v" ]; then best="$c"; best_v=$v; fi
  done
  if [ -z "$best" ]; then
    echo "alloy: no JDK >= 22 found (looked at \$JAVA_HOME and /usr/lib/jvm); install one, e.g. Temurin 25" >&2
    return 1
  fi
  export JAVA_HOME="$best" JAVA="$best/bin/java" ALLOY_JDK_MAJOR="$best_v"
  # Maven's bundled Guava calls sun.misc.Unsafe; JDK 24+ warns about it on every run.
  if [ "$best_v" -ge 24 ]; then export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"; fi
}

# Maven, quiet and in batch mode, its output on stderr without the colour codes that Debian's Maven 3.8
# prints even when told not to; returns Maven's exit status.
alloy_mvn() {
  (cd "$ALLOY_ROOT" && mvn -q -B -Dstyle.color=never "$@" 2>&1) | sed -u 's/\x1b\[[0-9;]*m//g' >&2
  return "${PIPESTATUS[0]}"
}

# Compiles when target/classes is missing or any source, resource or the pom is newer than the last build.
alloy_build() {
  local stamp="$ALLOY_ROOT/target/classpath.txt"
  if [ ! -f "$stamp" ] || [ ! -d "$ALLOY_ROOT/target/classes/alloy" ] \
     || [ -n "$(find "$ALLOY_ROOT/src/main" "$ALLOY_ROOT/pom.xml" -newer "$stamp" -print -quit 2>/dev/null)" ]; then
    echo "alloy: building (first run downloads dependencies from Maven Central) ..." >&2
    alloy_mvn compile "$@" || { echo "alloy: build failed" >&2; return 1; }
    touch "$stamp"
  fi
}

ALLOY_JVM_FLAGS=(--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true -XX:+UseParallelGC)

alloy_java() {
  local cp="$ALLOY_ROOT/target/classes:$(cat "$ALLOY_ROOT/target/classpath.txt")"
  local extra=()
  # Tablesaw's start-up touches sun.misc.Unsafe, which JDK 24+ warns about on every run (the flag does not exist before 24).
  if [ "${ALLOY_JDK_MAJOR:-0}" -ge 24 ]; then extra+=(--sun-misc-unsafe-memory-access=allow); fi
  # JVM crash logs go to the temp folder, never into the working tree. exec: the JVM replaces the script's
  # shell, so a signal sent to the script (timeout's SIGTERM, kill) reaches the JVM and its shutdown hooks
  # instead of killing the shell and leaving the JVM running; callers run it as their last command.
  exec "$JAVA" "${ALLOY_JVM_FLAGS[@]}" "${extra[@]}" "-Dalloy.home=$ALLOY_ROOT" "-XX:ErrorFile=${TMPDIR:-/tmp}/alloy_hs_err_%p.log" ${ALLOY_JAVA_OPTS:-} -cp "$cp" "$@"
}
