package dev.sparktune.trainer.task;

import dev.sparktune.trainer.checkpoint.CheckpointManifest;
import java.util.List;

/**
 * The size and hash of the checkpoint shard one rank wrote, as it reaches rank 0 for the manifest. Spark's barrier
 * {@code allGather} carries strings only, so the record travels as {@link #message()} and is read back with
 * {@link #parse}; a rank that wrote no shard sends {@link #NONE}.
 *
 * @param bytes  the shard file's size
 * @param sha256 its content hash
 */
record ShardInfo(long bytes, String sha256) {
    static final String NONE = "";

    static ShardInfo of(CheckpointManifest.Shard shard) {
        return new ShardInfo(shard.bytes(), shard.sha256());
    }

    /** One allGather message: the size, a space, the hash (hex digits hold no space). */
    String message() {
        return bytes + " " + sha256;
    }

    static ShardInfo parse(String message) {
        String[] sizeAndHash = message.split(" ");
        return new ShardInfo(Long.parseLong(sizeAndHash[0]), sizeAndHash[1]);
    }

    /** The manifest's entry for this shard, stored as {@code file} and holding {@code ranges}. */
    CheckpointManifest.Shard shard(String file, List<CheckpointManifest.Range> ranges) {
        return new CheckpointManifest.Shard(file, ranges, bytes, sha256);
    }
}
