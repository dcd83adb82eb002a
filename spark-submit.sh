#!/usr/bin/env bash
# SparkTune launcher: ./spark-submit.sh [spark-submit options] <verb> [verb options]
#
#   Without SPARK_HOME: runs the CLI in this JVM with Spark in local mode (master from the config, default
#   local[*]) on the project's own classpath, building it first when it is missing or older than the sources.
#   With SPARK_HOME: calls $SPARK_HOME/bin/spark-submit with the dist jar (the dist module, built when missing);
#   options before the verb (--master, --deploy-mode, --conf k=v, --num-executors, ...) go to spark-submit (JVM
#   options are added to SparkTune's required flags; in YARN cluster deploy mode a local -c FILE is shipped with
#   --files; elsewhere give the config as a URI the driver reads: -c s3a://bucket/job.conf).
#   SPARKTUNE_JAR=/path/to/sparktune-dist-*.jar uses a jar built elsewhere (e.g. a CI artifact).
#
# Examples:
#   ./spark-submit.sh run conf/demo-local.conf
#   ./spark-submit.sh prep -c conf/demo-local.conf
#   SPARK_HOME=/opt/spark ./spark-submit.sh --master yarn --deploy-mode cluster prep -c qwen3-lora-sft.conf
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
main=dev.sparktune.pipeline.cli.SparkTuneCli
verbs=" run prep train export eval ref-logprobs inspect init-model "
jvm_flags="$(sed -n 's/^sparktune\.jvm\.flags=//p' "$root/conf/jvm.properties")"
version="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' "$root/pom.xml" | head -n 1)"

submit_args=()
while [ $# -gt 0 ] && [[ "$verbs" != *" $1 "* ]]; do
  case "$1" in
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; echo; echo "Verbs:$verbs (./spark-submit.sh <verb> --help)"; exit 0 ;;
    -V|--version) break ;;
    --*=*) submit_args+=("$1"); shift ;;
    --verbose|--supervise) submit_args+=("$1"); shift ;;
    --*) [ $# -ge 2 ] || { echo "spark-submit.sh: $1 needs a value" >&2; exit 2; }
         submit_args+=("$1" "$2"); shift 2 ;;
    *) echo "spark-submit.sh: unknown verb '$1' (verbs:$verbs)" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: ./spark-submit.sh [spark-submit options] <verb> [options]  (verbs:$verbs)" >&2; exit 2; }

# Newer sources than the artifact => rebuild (quietly, offline when the repository already has everything).
stale() {
  [ -f "$1" ] || return 0
  [ -n "$(find "$root/pom.xml" "$root"/*/pom.xml "$root"/*/src/main -newer "$1" -print -quit 2>/dev/null)" ]
}
# Offline first (everything is usually in ~/.m2 already), then online; Maven's output is shown only when both fail,
# so a first build on a fresh machine prints the one "building" line, not the offline attempt's resolution errors.
mvn_build() {
  local log
  log="$(mktemp)"
  if (cd "$root" && mvn -q -B -Dstyle.color=never -o "$@") >"$log" 2>&1 \
      || (cd "$root" && mvn -q -B -Dstyle.color=never "$@") >"$log" 2>&1; then
    rm -f "$log"
    return 0
  fi
  cat "$log" >&2
  rm -f "$log"
  echo "spark-submit.sh: the build failed (Maven's output above)" >&2
  return 1
}

export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}" OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}"

if [ -z "${SPARK_HOME:-}" ]; then
  jar="$root/pipeline/target/sparktune-pipeline-$version.jar"
  cp_file="$root/pipeline/target/runtime-classpath.txt"
  if stale "$jar" || [ ! -f "$cp_file" ]; then
    echo "spark-submit.sh: building SparkTune (first run or sources changed)..." >&2
    mvn_build install -DskipTests -pl pipeline -am
    mvn_build dependency:build-classpath -pl pipeline -Dmdep.includeScope=runtime -Dmdep.outputFile="$cp_file"
    touch "$jar"   # the jar plugin keeps an unchanged jar's old mtime; mark it as built from these sources
  fi
  # spark-submit options map onto Spark properties in local mode.
  sys_props=()
  i=0
  while [ $i -lt ${#submit_args[@]} ]; do
    opt="${submit_args[$i]}"
    case "$opt" in
      --master) sys_props+=("-Dspark.master=${submit_args[$((i+1))]}"); i=$((i+2)) ;;
      --master=*) sys_props+=("-Dspark.master=${opt#--master=}"); i=$((i+1)) ;;
      --conf) sys_props+=("-D${submit_args[$((i+1))]}"); i=$((i+2)) ;;
      --conf=*) sys_props+=("-D${opt#--conf=}"); i=$((i+1)) ;;
      --driver-memory) sys_props+=("-Xmx${submit_args[$((i+1))]}"); i=$((i+2)) ;;
      *) echo "spark-submit.sh: '$opt' only applies with SPARK_HOME set; ignored in local mode" >&2
         if [[ "$opt" == --*=* || "$opt" == --verbose || "$opt" == --supervise ]]; then i=$((i+1)); else i=$((i+2)); fi ;;
    esac
  done
  # shellcheck disable=SC2086
  exec java ${SPARKTUNE_JAVA_OPTS:-} $jvm_flags ${sys_props[@]+"${sys_props[@]}"} \
    -cp "$jar:$(cat "$cp_file")" "$main" "$@"
else
  jar="${SPARKTUNE_JAR:-$root/dist/target/sparktune-dist-$version.jar}"
  if [ -z "${SPARKTUNE_JAR:-}" ] && stale "$jar"; then
    echo "spark-submit.sh: building the spark-submit jar (the dist module)..." >&2
    mvn_build package -DskipTests -pl dist -am
    touch "$jar"
  fi
  # The user's own JVM options are added to SparkTune's required flags, never in place of them.
  driver_opts="$jvm_flags"
  executor_opts="$jvm_flags"
  passthrough=()
  cluster_mode=false
  master=""
  i=0
  while [ $i -lt ${#submit_args[@]} ]; do
    opt="${submit_args[$i]}"
    case "$opt" in
      --driver-java-options) driver_opts="$jvm_flags ${submit_args[$((i+1))]}"; i=$((i+2)) ;;
      --driver-java-options=*) driver_opts="$jvm_flags ${opt#--driver-java-options=}"; i=$((i+1)) ;;
      --conf|--conf=*)
        if [ "$opt" = --conf ]; then kv="${submit_args[$((i+1))]}"; i=$((i+2)); else kv="${opt#--conf=}"; i=$((i+1)); fi
        case "$kv" in
          spark.executor.extraJavaOptions=*) executor_opts="$jvm_flags ${kv#*=}" ;;
          spark.driver.extraJavaOptions=*) driver_opts="$jvm_flags ${kv#*=}" ;;
          *) passthrough+=(--conf "$kv") ;;
        esac ;;
      --master) master="${submit_args[$((i+1))]}"; passthrough+=("$opt" "$master"); i=$((i+2)) ;;
      --master=*) master="${opt#--master=}"; passthrough+=("$opt"); i=$((i+1)) ;;
      --deploy-mode) [ "${submit_args[$((i+1))]}" = cluster ] && cluster_mode=true
                     passthrough+=("$opt" "${submit_args[$((i+1))]}"); i=$((i+2)) ;;
      --deploy-mode=cluster) cluster_mode=true; passthrough+=("$opt"); i=$((i+1)) ;;
      --*=*|--verbose|--supervise) passthrough+=("$opt"); i=$((i+1)) ;;
      *) passthrough+=("$opt" "${submit_args[$((i+1))]}"); i=$((i+2)) ;;
    esac
  done
  # In cluster deploy mode the driver runs on the cluster: on YARN, ship a local -c FILE with --files and name it by
  # its base name (YARN puts it in the driver's working directory). Standalone and Kubernetes put --files elsewhere:
  # there the config must be on storage the driver reads (-c s3a://..., hdfs://...).
  local_config_in_cluster() {
    if [ -n "$master" ] && [[ "$master" != yarn* ]]; then
      echo "spark-submit.sh: in cluster deploy mode on $master the driver cannot read the local config $1;" \
        "copy it to storage the cluster reads and pass its URI, e.g. -c s3a://bucket/jobs/$(basename "$1")" >&2
      exit 2
    fi
  }
  verb_args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      -c|--config)
        if $cluster_mode && [ $# -ge 2 ] && [ -f "$2" ]; then
          local_config_in_cluster "$2"
          passthrough+=(--files "$2"); verb_args+=("$1" "$(basename "$2")"); shift 2
        else verb_args+=("$1"); shift; fi ;;
      --config=*|-c=*)
        file="${1#*=}"
        if $cluster_mode && [ -f "$file" ]; then
          local_config_in_cluster "$file"
          passthrough+=(--files "$file"); verb_args+=("${1%%=*}=$(basename "$file")")
        else verb_args+=("$1"); fi
        shift ;;
      *) verb_args+=("$1"); shift ;;
    esac
  done
  exec "$SPARK_HOME/bin/spark-submit" \
    --class "$main" \
    --driver-java-options "$driver_opts" \
    --conf "spark.executor.extraJavaOptions=$executor_opts" \
    --conf "spark.executorEnv.OMP_WAIT_POLICY=PASSIVE" \
    --conf "spark.executorEnv.OPENBLAS_THREAD_TIMEOUT=4" \
    ${passthrough[@]+"${passthrough[@]}"} \
    "$jar" ${verb_args[@]+"${verb_args[@]}"}
fi
