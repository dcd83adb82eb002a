/**
 * The trainer's entry points: the {@code train} verb's driver side ({@link dev.sparktune.trainer.api.TrainJob}, start
 * reading here), its typed, validated settings ({@link dev.sparktune.trainer.api.TrainConfig} and its sections,
 * {@link dev.sparktune.trainer.api.TrainConfigException}, the values of its enum-valued keys as
 * {@link dev.sparktune.trainer.api.SettingValue}s), the memory check made before launch, the result, and the
 * errors a user can fix before anything runs (not enough memory, not enough task slots).
 */
package dev.sparktune.trainer.api;
