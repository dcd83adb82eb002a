#!/usr/bin/env python3
"""Writes the Zeppelin notes in notebooks/ (.zpln, Zeppelin 0.11+ JSON) from the Scala paragraphs below.

Usage: make_zeppelin_notes.py   (from the repository root; rewrites notebooks/*.zpln)

Each paragraph runs on Zeppelin's %spark (Scala) interpreter with the SparkTune dist jar as an interpreter
dependency; `spark` is Zeppelin's SparkSession. Results meant for Zeppelin's charts are printed as %table output.
The e2e test ZeppelinNotesTest runs every %spark paragraph of every note, in order, in a Scala interpreter.
"""
import json
from pathlib import Path

SETTINGS = '''%spark
// Where SparkTune's outputs are: the demo (./spark-submit.sh run conf/demo-local.conf) writes out/demo/ there.
val sparktuneHome = sys.props.getOrElse("sparktune.home", "/opt/sparktune")
val table = s"$sparktuneHome/out/demo/packed"
val model = s"$sparktuneHome/out/demo/model"
val notebookRun = s"$sparktuneHome/out/notebook/lora"'''

NOTES = {
    "1-explore-a-packed-table": ("SparkTune/1 Explore a packed table", [
        ("Settings", SETTINGS, None),
        ("Splits, rows, documents and tokens", '''%spark
import org.apache.spark.sql.functions._
val packed = spark.read.format("delta").load(table)
packed.groupBy("split")
  .agg(count(lit(1)).as("rows"), sum(size(col("doc_lens"))).as("documents"), sum("num_tokens").as("tokens"),
    sum("num_supervised").as("supervised_tokens"))
  .orderBy("split")
  .show(false)''', None),
        ("Document length histogram", '''%spark
val bucketWidth = 8
val histogram = packed.select(explode(col("doc_lens")).as("length"))
  .groupBy((floor(col("length") / bucketWidth) * bucketWidth).cast("int").as("from"))
  .count().orderBy("from").collect()
println("%table length_from\\tdocuments\\n" + histogram.map(r => s"${r.getInt(0)}\\t${r.getLong(1)}").mkString("\\n"))''',
         "multiBarChart"),
        ("Decoded rows (trained tokens inside ⟦…⟧)", '''%spark
println(dev.sparktune.preprocess.api.TableInspector.report(spark, table, 2, null))''', None),
    ]),
    "2-launch-a-training-run": ("SparkTune/2 Launch a training run", [
        ("Settings", SETTINGS, None),
        ("Train LoRA adapters on the packed table (2 ranks: the interpreter needs 2 free task slots)", '''%spark
import dev.sparktune.pipeline.config.{ConfigSources, SparkTuneConfig, Verb}
import dev.sparktune.trainer.api.TrainJob
val config = SparkTuneConfig.load(ConfigSources.of(java.nio.file.Path.of(s"$sparktuneHome/conf/demo-local.conf"),
  java.util.List.of(s"model.model_name_or_path=$model", s"prep.output_table=$table", s"train.output_dir=$notebookRun",
    "train.max_steps=10", "train.save_steps=5", "train.logging_steps=2")), Verb.TRAIN)
val result = TrainJob.run(spark, config.train())
println(s"trained steps ${result.firstStep() + 1}..${result.firstStep() + result.steps().size()}, " +
  s"final loss ${result.finalLoss()}, adapter in ${result.outputDir()}")''', None),
    ]),
    "3-plot-the-metrics": ("SparkTune/3 Plot the metrics of a run", [
        ("Settings", SETTINGS, None),
        ("Loss per step (trainer_log.jsonl)", '''%spark
val log = spark.read.json(s"$notebookRun/trainer_log.jsonl").orderBy("current_steps")
val curve = log.select("current_steps", "loss", "lr", "grad_norm", "tokens_per_second").collect()
println("%table step\\tloss\\tlr\\tgrad_norm\\ttokens_per_second\\n" + curve.map(r =>
  (0 until r.length).map(i => r.get(i)).mkString("\\t")).mkString("\\n"))''', "lineChart"),
        ("Bytes each rank held", '''%spark
log.select("current_steps", "params_bytes", "grads_bytes", "optimizer_state_bytes").orderBy(org.apache.spark.sql.functions.desc("current_steps")).show(1, false)''', None),
    ]),
}


def paragraph(note_id, index, title, text, chart):
    config = {"editorSetting": {"language": "scala", "editOnDblClick": False, "completionSupport": True},
              "editorMode": "ace/mode/scala", "title": True, "results": {}}
    if chart:
        config["results"] = {"0": {"graph": {"mode": chart, "height": 300, "optionOpen": False}}}
    pid = f"paragraph_sparktune_{note_id}_{index}"
    return {"title": title, "text": text, "config": config, "settings": {"params": {}, "forms": {}},
            "apps": [], "runtimeInfos": {}, "progressUpdateIntervalMs": 500, "jobName": pid, "id": pid,
            "status": "READY"}


def main():
    out = Path("notebooks")
    out.mkdir(exist_ok=True)
    for i, (file, (name, paragraphs)) in enumerate(NOTES.items()):
        note_id = f"2SPARKTUNE{i + 1}"
        note = {"paragraphs": [paragraph(i + 1, j, *p) for j, p in enumerate(paragraphs)], "name": name,
                "id": note_id, "defaultInterpreterGroup": "spark", "version": "0.11.2", "noteParams": {},
                "noteForms": {}, "angularObjects": {}, "config": {"isZeppelinNotebookCronEnable": False},
                "info": {}}
        (out / f"{file}.zpln").write_text(json.dumps(note, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
