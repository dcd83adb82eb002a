# Sourced by the bench scripts with their work directory as $1: builds the bench module (and what it depends on),
# writes its classpath to $1/cp.txt, and sets root, cp (bench classes + dependencies), flags (the JVM flags every
# SparkTune JVM needs, conf/jvm.properties) and py (the reference Python environment). Leaves the shell in $root.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mvn -q -B -o -Pbench install -DskipTests -pl bench -am
mvn -q -B -o -Pbench dependency:build-classpath -pl bench -Dmdep.outputFile="$1/cp.txt" >/dev/null
flags="$(sed -n 's/^sparktune\.jvm\.flags=//p' conf/jvm.properties)"
cp="$root/bench/target/classes:$(cat "$1/cp.txt")"
py="$(scripts/reference-env.sh)"
