/**
 * Collectives over flat fp32 buffers: the {@link dev.sparktune.dl4j.collective.Collective} interface the trainer
 * programs against, the shard arithmetic every implementation shares ({@link dev.sparktune.dl4j.collective.FlatShards}),
 * and the CPU implementation, an authenticated chunked TCP ring ({@link dev.sparktune.dl4j.collective.TcpRingCollective}).
 * No Spark here: the trainer exchanges addresses and the job secret through Spark and hands them in.
 */
package dev.sparktune.dl4j.collective;
