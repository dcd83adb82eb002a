/**
 * Preference pairs on packed rows ({@link dev.sparktune.trainer.preference.PairScoring}): summed response log-probs per
 * document, each pair scored against the reference pass's sums with dl4j-ext's preference losses, and, in training,
 * each pair's gradient spread back to its response tokens. Shared by training and eval.
 */
package dev.sparktune.trainer.preference;
