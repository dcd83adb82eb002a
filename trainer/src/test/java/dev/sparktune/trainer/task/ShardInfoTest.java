package dev.sparktune.trainer.task;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparktune.trainer.checkpoint.CheckpointManifest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A shard's size and hash reach rank 0's manifest unchanged through the allGather message. */
class ShardInfoTest {
    @Test
    void messageRoundTripsIntoTheManifestEntry() {
        List<CheckpointManifest.Range> ranges = List.of(new CheckpointManifest.Range(0, 500));
        CheckpointManifest.Shard written =
                new CheckpointManifest.Shard("state-r0", ranges, 3_000_000_000L, "0123456789abcdef".repeat(4));
        ShardInfo info = ShardInfo.parse(ShardInfo.of(written).message());
        assertEquals(new ShardInfo(3_000_000_000L, written.sha256()), info);
        assertEquals(written, info.shard("state-r0", ranges));
    }
}
