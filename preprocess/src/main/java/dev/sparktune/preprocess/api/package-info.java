/**
 * The prep module's entry points and shared vocabulary: the prep job ({@link dev.sparktune.preprocess.api.PrepJob},
 * start reading here: datasets in; packed table, rejects table and stats out), its validated config
 * ({@link dev.sparktune.preprocess.api.PrepConfig}) and result, what {@code sparktune inspect} prints, and the small
 * types the other packages and the pipeline share (stage, label options, overlong policy, the problems a config
 * builder finds ({@link dev.sparktune.preprocess.api.SettingProblems}, the trainer's too), name suggestions, version,
 * the Hadoop settings shipped to tasks).
 */
package dev.sparktune.preprocess.api;
