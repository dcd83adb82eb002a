package dev.sparktune.preprocess.api;

import dev.sparktune.preprocess.stats.PrepStats;

/**
 * What a prep run did.
 *
 * @param tableVersion   the packed table's Delta version holding this run's data
 * @param committed      false when an identical run (same inputs and config) had already committed it: nothing
 *                       was written this time
 * @param stats          counts, tokens, packing efficiency, length histogram
 */
public record PrepResult(long tableVersion, boolean committed, PrepStats stats) {}
