/**
 * Model and adapter directories on any Hadoop file system, as ranks and the driver use them: a remote base model copied
 * once per host into a local cache ({@link dev.sparktune.trainer.model.HadoopModelDir}), PEFT adapter directories, and
 * a base model with an adapter merged in ({@link dev.sparktune.trainer.model.MergedModel}) for export and eval.
 */
package dev.sparktune.trainer.model;
