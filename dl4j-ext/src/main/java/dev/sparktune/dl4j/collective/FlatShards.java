package dev.sparktune.dl4j.collective;

/**
 * How a flat buffer of {@code length} elements splits over {@code worldSize} ranks: rank r owns
 * {@code [r·S, min((r+1)·S, length))} with S = ceil(length / worldSize); trailing ranks may own less or nothing when
 * length is small. Sharded optimizer state, reduce-scatter and all-gather all use this one split.
 */
public record FlatShards(long length, int worldSize) {
    public FlatShards {
        if (length < 0) {
            throw new IllegalArgumentException("buffer length must be >= 0, got " + length);
        }
        if (worldSize < 1) {
            throw new IllegalArgumentException("world size must be >= 1, got " + worldSize);
        }
    }

    /** Elements per shard (the last non-empty one may hold fewer). */
    public long shardSize() {
        return (length + worldSize - 1) / worldSize;
    }

    public long start(int rank) {
        checkRank(rank);
        return Math.min(length, rank * shardSize());
    }

    public long end(int rank) {
        checkRank(rank);
        return Math.min(length, (rank + 1) * shardSize());
    }

    public long size(int rank) {
        return end(rank) - start(rank);
    }

    private void checkRank(int rank) {
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank " + rank + " is outside [0, " + worldSize + ")");
        }
    }
}
