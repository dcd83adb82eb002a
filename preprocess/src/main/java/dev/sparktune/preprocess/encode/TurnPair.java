package dev.sparktune.preprocess.encode;

/**
 * One (prompt, response) pair of a tokenized conversation: {@code source} is everything between the previous
 * response and this one (system, user, tool turns and the assistant header), {@code target} the response tokens the
 * model learns. Token ids only; labels are decided by {@link SupervisedLabels}.
 */
record TurnPair(int[] source, int[] target) {}
