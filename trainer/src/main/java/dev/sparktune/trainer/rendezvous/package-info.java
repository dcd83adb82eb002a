/**
 * Forming the TCP ring of a barrier stage ({@link dev.sparktune.trainer.rendezvous.RingRendezvous}): addresses
 * exchanged with one Spark barrier allGather, then dl4j-ext's ring connected and authenticated with the job secret.
 * dl4j-ext's collectives know nothing of Spark; this is where a ring gets its peers from it.
 */
package dev.sparktune.trainer.rendezvous;
