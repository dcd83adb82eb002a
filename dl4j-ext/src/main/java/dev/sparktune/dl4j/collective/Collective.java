package dev.sparktune.dl4j.collective;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Collective operations of one rank in a group of {@link #worldSize()} ranks, on contiguous flat FLOAT buffers of the
 * same length on every rank. Sharded operations use {@link #shards(long)}: rank r owns elements
 * {@code [shards.start(r), shards.end(r))}. Every call is collective: all ranks make the same calls in the same order.
 * Results are bit-identical on every rank (each element is reduced once, by its owner, then copied), so replicated
 * parameters never drift apart.
 */
public interface Collective extends AutoCloseable {

    int rank();

    int worldSize();

    /** The shard split of a flat buffer of {@code length} elements over this group. */
    default FlatShards shards(long length) {
        return new FlatShards(length, worldSize());
    }

    /** In place: every element becomes the sum over ranks. */
    void allReduce(INDArray flat);

    /**
     * In place, on this rank's shard only: {@code flat[shard(rank)]} becomes the sum over ranks of that range; the rest
     * of {@code flat} is left with partial sums (scratch).
     */
    void reduceScatter(INDArray flat);

    /** In place: each rank's shard range of {@code flat} is copied from its owner into every rank. */
    void allGather(INDArray flat);

    /** In place: {@code flat} becomes rank {@code root}'s contents on every rank. */
    void broadcast(INDArray flat, int root);

    /**
     * Sums a few doubles over ranks, adding in rank order so every rank gets the same bits (losses, token counts,
     * squared norms of shards).
     */
    double[] allReduceSum(double... values);

    /** Returns once every rank has called it. */
    void barrier();

    /** Bytes this rank sent and received so far (for metrics and bandwidth reports). */
    long bytesMoved();

    @Override
    void close();
}
