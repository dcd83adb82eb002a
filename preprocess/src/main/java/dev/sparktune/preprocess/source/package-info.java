/**
 * Datasets in: {@link dev.sparktune.preprocess.source.DatasetCatalog} resolves data.dataset names through
 * LLaMA-Factory's dataset_info.json (or as paths on any Hadoop FS) into
 * {@link dev.sparktune.preprocess.source.DatasetSpec}s, {@link dev.sparktune.preprocess.source.SourceReader} reads
 * every record of their JSON, JSON-lines and Parquet files exactly once, readable or not, and the converters (alpaca,
 * sharegpt / OpenAI messages, text) turn each record into a conversation or one reject. Dataset problems a user must
 * fix are {@link dev.sparktune.preprocess.source.DatasetException}s.
 */
package dev.sparktune.preprocess.source;
