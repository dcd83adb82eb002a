#!/usr/bin/env python3
"""Loads an Airflow DAG file that uses SparkSubmitOperator, without Airflow, and prints its tasks as JSON.

Usage: airflow_dag_tasks.py DAG_FILE

Stand-ins for airflow.DAG and the Spark provider's SparkSubmitOperator record what the DAG file builds: each
task's keyword arguments (application_args, conf, files, java_class, retries, ...) and its downstream tasks. The
stand-ins accept only keyword arguments the real classes accept for what the example uses, so a misspelt argument
fails here too. Used by the e2e test that hands every task's application_args to the SparkTune CLI with --dry-run.
"""
import json
import runpy
import sys
import tempfile
import types
from datetime import timedelta

SPARK_SUBMIT_ARGS = {
    "application", "conf", "conn_id", "files", "py_files", "archives", "driver_class_path", "jars", "java_class",
    "packages", "exclude_packages", "repositories", "total_executor_cores", "executor_cores", "executor_memory",
    "driver_memory", "keytab", "principal", "proxy_user", "name", "num_executors", "status_poll_interval",
    "application_args", "env_vars", "verbose", "spark_binary", "properties_file", "yarn_queue", "deploy_mode",
    "use_krb5ccache",
}
BASE_OPERATOR_ARGS = {"retries", "retry_delay", "retry_exponential_backoff", "max_retry_delay", "execution_timeout",
                      "pool", "queue", "priority_weight", "depends_on_past", "trigger_rule", "owner", "email"}
DAG_ARGS = {"description", "schedule", "start_date", "end_date", "catchup", "max_active_runs", "tags",
            "default_args", "params", "doc_md", "max_active_tasks", "dagrun_timeout"}


class DAG:
    current = None

    def __init__(self, dag_id, **kwargs):
        unknown = set(kwargs) - DAG_ARGS
        if unknown:
            raise TypeError(f"DAG got unexpected arguments {sorted(unknown)}")
        self.dag_id = dag_id
        self.tasks = []

    def __enter__(self):
        DAG.current = self
        return self

    def __exit__(self, *exc):
        DAG.current = None


class SparkSubmitOperator:
    def __init__(self, task_id, **kwargs):
        unknown = set(kwargs) - SPARK_SUBMIT_ARGS - BASE_OPERATOR_ARGS
        if unknown:
            raise TypeError(f"SparkSubmitOperator {task_id} got unexpected arguments {sorted(unknown)}")
        if DAG.current is None:
            raise RuntimeError(f"task {task_id} created outside a DAG")
        self.task_id = task_id
        self.kwargs = kwargs
        self.downstream = []
        DAG.current.tasks.append(self)

    def __rshift__(self, other):
        self.downstream.append(other.task_id)
        return other


def install_stand_ins():
    airflow = types.ModuleType("airflow")
    airflow.DAG = DAG
    modules = {"airflow": airflow}
    for name in ["airflow.providers", "airflow.providers.apache", "airflow.providers.apache.spark",
                 "airflow.providers.apache.spark.operators"]:
        modules[name] = types.ModuleType(name)
    spark_submit = types.ModuleType("airflow.providers.apache.spark.operators.spark_submit")
    spark_submit.SparkSubmitOperator = SparkSubmitOperator
    modules[spark_submit.__name__] = spark_submit
    sys.modules.update(modules)


def plain(value):
    return value.total_seconds() if isinstance(value, timedelta) else value


def main():
    install_stand_ins()
    namespace = runpy.run_path(sys.argv[1])
    dags = [v for v in namespace.values() if isinstance(v, DAG)]
    if len(dags) != 1:
        raise SystemExit(f"expected one DAG in {sys.argv[1]}, found {len(dags)}")
    print(json.dumps({"dag_id": dags[0].dag_id, "tasks": [
        {"task_id": t.task_id, "downstream": t.downstream, **{k: plain(v) for k, v in t.kwargs.items()}}
        for t in dags[0].tasks]}))


if __name__ == "__main__":
    main()
