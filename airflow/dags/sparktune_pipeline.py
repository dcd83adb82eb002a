"""SparkTune on Airflow: prep -> train -> export -> eval, four spark-submit jobs (SparkSubmitOperator).

Each task is safe to retry and the whole DAG run safe to re-run:
  prep    commits one Delta version per (inputs, config); a repeat writes nothing (Delta idempotent transaction),
  train   resumes from the newest committed checkpoint in output_dir (a finished run only re-exports),
  export  swaps the new model directory in only once it is complete,
  eval    overwrites eval_results.json and generated_predictions.jsonl.
(For one Spark application doing all four, with the same resumability, use the `run` verb instead.)

Needs: apache-airflow-providers-apache-spark; an Airflow connection `spark_default` pointing at the cluster
(here YARN: host "yarn", extra {"deploy-mode": "cluster"}); on the Airflow workers SPARKTUNE_HOME holding the
SparkTune dist jar (dist/target/sparktune-dist-*.jar: mvn package -DskipTests -pl dist -am), conf/jvm.properties and the job's config file.
"""
import os
from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

SPARKTUNE_HOME = os.environ.get("SPARKTUNE_HOME", "/opt/sparktune")
JAR = os.environ.get("SPARKTUNE_JAR", os.path.join(SPARKTUNE_HOME, "sparktune-dist.jar"))
CONFIG = os.environ.get("SPARKTUNE_CONFIG", os.path.join(SPARKTUNE_HOME, "conf", "qwen3-lora-sft-yarn.conf"))
# in cluster deploy mode the config travels with --files and is read from the driver's working directory
CONFIG_NAME = os.path.basename(CONFIG)


def jvm_flags():
    """The JVM flags every SparkTune JVM needs on Java 17, from the one place they are written."""
    path = os.path.join(SPARKTUNE_HOME, "conf", "jvm.properties")
    with open(path) as f:
        for line in f:
            if line.startswith("sparktune.jvm.flags="):
                return line.split("=", 1)[1].strip()
    raise ValueError(f"{path} has no sparktune.jvm.flags line")


SPARK_CONF = {
    "spark.driver.extraJavaOptions": jvm_flags(),
    "spark.executor.extraJavaOptions": jvm_flags(),
}


def sparktune(task_id, *args):
    """One SparkTune verb as a spark-submit job; args follow the verb (the config file is added)."""
    return SparkSubmitOperator(
        task_id=task_id,
        conn_id="spark_default",
        application=JAR,
        java_class="dev.sparktune.pipeline.cli.SparkTuneCli",
        application_args=[task_id, "-c", CONFIG_NAME, *args],
        files=CONFIG,
        packages="io.delta:delta-spark_2.13:4.0.1",
        conf=SPARK_CONF,
        name=f"sparktune-{task_id}",
        retries=2,
        retry_delay=timedelta(minutes=5),
    )


with DAG(
    dag_id="sparktune_qwen3_lora_sft",
    description="SparkTune: prep -> train -> export -> eval",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    catchup=False,
    max_active_runs=1,  # one writer per Delta table and output_dir
    tags=["sparktune", "llm"],
) as dag:
    prep = sparktune("prep")
    train = sparktune("train")
    # the adapter train wrote, and the merged model export wrote: the config's own paths, by HOCON substitution
    export = sparktune("export", "--set", "model.adapter_name_or_path=${sparktune.train.output_dir}")
    evaluate = sparktune("eval", "--set", "model.model_name_or_path=${sparktune.export.export_dir}")
    prep >> train >> export >> evaluate
