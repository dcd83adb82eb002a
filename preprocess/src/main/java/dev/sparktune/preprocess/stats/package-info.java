/**
 * The prep report: {@link dev.sparktune.preprocess.stats.OutcomeTally}, exact mergeable counts over the encode
 * outcomes, and {@link dev.sparktune.preprocess.stats.PrepStats}, printed and written as JSON beside the table, whose
 * counts reconcile (input records = accepted documents + rejected records).
 */
package dev.sparktune.preprocess.stats;
