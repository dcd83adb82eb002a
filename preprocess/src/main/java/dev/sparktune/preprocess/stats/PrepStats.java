package dev.sparktune.preprocess.stats;

/** Placeholder replaced in this change; see PrepJob. */
public record PrepStats() {
}
