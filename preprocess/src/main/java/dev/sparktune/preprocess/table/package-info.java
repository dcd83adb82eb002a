/**
 * The Delta tables prep writes: the packed-table contract ({@link dev.sparktune.preprocess.table.PackedTable}: column
 * names, schema and property keys; the trainer reads tables through these names only), the rejects table's schema, and
 * {@link dev.sparktune.preprocess.table.DeltaTables}, which replaces a table in one atomic commit with all its
 * properties.
 */
package dev.sparktune.preprocess.table;
