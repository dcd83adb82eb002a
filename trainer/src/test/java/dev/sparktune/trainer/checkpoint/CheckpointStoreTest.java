package dev.sparktune.trainer.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.collective.FlatShards;
import dev.sparktune.dl4j.params.ParamLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The checkpoint format on a real (local) Hadoop file system: ranges written by one world size read back exactly by
 * another, the commit marker is the only thing that makes a checkpoint visible, tampering and truncation are caught,
 * and pruning keeps save_total_limit committed checkpoints.
 */
class CheckpointStoreTest {
    static final long N = 1003;
    static final String HASH = "0".repeat(64);
    static final ParamLayout LAYOUT = ParamLayout.builder().add("w", 17, 59).build(); // 1003 elements

    @TempDir
    Path out;

    long clock = 1; // commit times in save order

    /** params = i, exp_avg = 2i, exp_avg_sq = 3i at flat position i, so any misplaced element shows. */
    static INDArray ramp(double scale) {
        return Nd4j.arange(0, N).castTo(DataType.FLOAT).muli(scale).reshape(N);
    }

    static RunIdentity identity() {
        return RunIdentity.of("file:/tables/packed", 3, "base-sha", "full", LAYOUT, 8, 42);
    }

    /** Writes a checkpoint after {@code step} steps as {@code world} ranks would, optionally committing it. */
    CheckpointStore.Committed save(CheckpointStore store, int step, int world, boolean commit) {
        return save(store, step, world, commit, "launch-1");
    }

    CheckpointStore.Committed save(CheckpointStore store, int step, int world, boolean commit, String launch) {
        FlatShards ranges = new FlatShards(N, world);
        INDArray p = ramp(1);
        INDArray m = ramp(2);
        INDArray v = ramp(3);
        List<CheckpointManifest.Shard> shards = new ArrayList<>();
        store.clear(step);
        for (int r = 0; r < world; r++) {
            long a = ranges.start(r);
            long b = ranges.end(r);
            shards.add(store.writeShard(
                    step,
                    CheckpointStore.shardFile(r, world, 0),
                    List.of(new StatePiece(
                            a,
                            p.get(NDArrayIndex.interval(a, b)),
                            m.get(NDArrayIndex.interval(a, b)),
                            v.get(NDArrayIndex.interval(a, b))))));
        }
        CheckpointManifest manifest = new CheckpointManifest(
                CheckpointManifest.FORMAT,
                CheckpointManifest.VERSION,
                step,
                10,
                world,
                "shard_grad_op",
                step,
                launch,
                clock++,
                identity(),
                shards);
        return commit ? store.commit(manifest, null) : null;
    }

    @Test
    void rangesWrittenByThreeRanksReadBackExactlyAcrossShardBoundaries() {
        CheckpointStore store = new CheckpointStore(out.toString(), new Configuration());
        save(store, 4, 3, true);
        CheckpointStore.Committed c = store.newest().orElseThrow();
        assertEquals(4, c.manifest().step());
        assertEquals(3, c.manifest().shards().size());
        try (StateReader reader = store.reader(c)) {
            FlatShards two = new FlatShards(N, 2); // a resume on 2 ranks
            for (int r = 0; r < 2; r++) {
                long a = two.start(r);
                long b = two.end(r);
                INDArray m = Nd4j.zeros(DataType.FLOAT, b - a);
                INDArray v = Nd4j.zeros(DataType.FLOAT, b - a);
                reader.firstMoment(a, b, m);
                reader.secondMoment(a, b, v);
                assertArrayEquals(ramp(2).get(NDArrayIndex.interval(a, b)).toFloatVector(), m.toFloatVector());
                assertArrayEquals(ramp(3).get(NDArrayIndex.interval(a, b)).toFloatVector(), v.toFloatVector());
            }
            INDArray all = Nd4j.zeros(DataType.FLOAT, N);
            reader.params(0, N, all);
            assertArrayEquals(ramp(1).toFloatVector(), all.toFloatVector());
        }
    }

    @Test
    void chunkedPiecesReadBackAcrossChunkAndPieceBoundaries() {
        Path file = out.resolve("chunked.safetensors");
        INDArray p = ramp(1);
        // two separate ranges of the flat state in one file, as a full_shard rank writes one piece per layer
        List<StatePiece> pieces = List.of(
                new StatePiece(
                        100,
                        p.get(NDArrayIndex.interval(100, 350)),
                        p.get(NDArrayIndex.interval(100, 350)),
                        p.get(NDArrayIndex.interval(100, 350))),
                new StatePiece(
                        600,
                        p.get(NDArrayIndex.interval(600, 700)),
                        p.get(NDArrayIndex.interval(600, 700)),
                        p.get(NDArrayIndex.interval(600, 700))));
        ShardFile.write(file, pieces, 64);
        INDArray dst = Nd4j.zeros(DataType.FLOAT, 200);
        assertEquals(200, ShardFile.readRange(file, ShardFile.PARAMS, 120, 320, dst, 0));
        assertArrayEquals(p.get(NDArrayIndex.interval(120, 320)).toFloatVector(), dst.toFloatVector());
        INDArray across = Nd4j.zeros(DataType.FLOAT, 400);
        assertEquals(
                150,
                ShardFile.readRange(file, ShardFile.EXP_AVG_SQ, 300, 700, across, 0),
                "only what the file holds: [300, 350) and [600, 700)");
        assertArrayEquals(
                p.get(NDArrayIndex.interval(600, 700)).toFloatVector(),
                across.get(NDArrayIndex.interval(300, 400)).toFloatVector());
    }

    @Test
    void aManifestWhoseRangesDoNotTileTheStateIsRejected() {
        RunIdentity run = identity();
        CheckpointManifest.Shard a =
                new CheckpointManifest.Shard("a", List.of(new CheckpointManifest.Range(0, 500)), 1, HASH);
        CheckpointManifest.Shard gap =
                new CheckpointManifest.Shard("b", List.of(new CheckpointManifest.Range(501, N)), 1, HASH);
        CheckpointManifest.Shard overlap =
                new CheckpointManifest.Shard("b", List.of(new CheckpointManifest.Range(499, N)), 1, HASH);
        for (CheckpointManifest.Shard second : List.of(gap, overlap)) {
            assertThrows(
                    IllegalArgumentException.class,
                    () -> new CheckpointManifest(
                            CheckpointManifest.FORMAT,
                            CheckpointManifest.VERSION,
                            1,
                            2,
                            2,
                            "no_shard",
                            1,
                            "l",
                            0,
                            run,
                            List.of(a, second)));
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> new CheckpointManifest.Shard(
                        "../../etc/passwd", List.of(new CheckpointManifest.Range(0, N)), 1, HASH),
                "a shard name cannot leave its directory");
    }

    @Test
    void onlyCommittedCheckpointsAreVisible() throws Exception {
        CheckpointStore store = new CheckpointStore(out.toString(), new Configuration());
        save(store, 2, 2, true);
        save(store, 5, 2, false); // killed mid-save: shards but no manifest or marker
        assertEquals(2, store.newest().orElseThrow().manifest().step());
        CheckpointException e = assertThrows(CheckpointException.class, () -> store.read(store.dir(5)));
        assertTrue(e.getMessage().contains("no COMMITTED marker"), e.getMessage());

        // a checkpoint being rewritten is cleared first: its old marker cannot vouch for new files
        save(store, 6, 2, true);
        store.clear(6);
        assertEquals(2, store.newest().orElseThrow().manifest().step());

        // a directory named like a checkpoint but not one of ours is ignored, not a crash
        Files.createDirectories(Path.of(store.dir(2).replace("file:", "")).resolveSibling("checkpoint-20261123010203"));
        assertEquals(2, store.newest().orElseThrow().manifest().step());
    }

    @Test
    void aTamperedManifestOrATruncatedShardIsRefused() throws Exception {
        CheckpointStore store = new CheckpointStore(out.toString(), new Configuration());
        save(store, 3, 2, true);
        Path manifest = Path.of(store.dir(3).replace("file:", ""), CheckpointStore.MANIFEST);
        String json = Files.readString(manifest);
        // Hadoop's local FS keeps .crc sidecars; an object store keeps none, so edit as a writer there would
        Files.deleteIfExists(manifest.resolveSibling("." + CheckpointStore.MANIFEST + ".crc"));
        Files.writeString(manifest, json.replace("\"step\" : 3", "\"step\" : 30"));
        CheckpointException tampered = assertThrows(CheckpointException.class, () -> store.read(store.dir(3)));
        assertTrue(tampered.getMessage().contains("does not match its COMMITTED marker"), tampered.getMessage());

        Files.writeString(manifest, json);
        Path shard = manifest.resolveSibling(CheckpointStore.shardFile(1, 2, 0));
        byte[] bytes = Files.readAllBytes(shard);
        Files.deleteIfExists(shard.resolveSibling("." + shard.getFileName() + ".crc"));
        bytes[bytes.length - 1] ^= 1;
        Files.write(shard, bytes, StandardOpenOption.TRUNCATE_EXISTING);
        CheckpointStore.Committed flipped = store.read(store.dir(3));
        try (StateReader reader = store.reader(flipped)) {
            CheckpointException changed =
                    assertThrows(CheckpointException.class, () -> reader.params(0, N, Nd4j.zeros(DataType.FLOAT, N)));
            assertTrue(changed.getMessage().contains("the shard was changed after the commit"), changed.getMessage());
        }
        Files.write(shard, Arrays.copyOf(bytes, bytes.length - 8), StandardOpenOption.TRUNCATE_EXISTING);
        CheckpointException truncated = assertThrows(CheckpointException.class, () -> store.read(store.dir(3)));
        assertTrue(
                truncated
                        .getMessage()
                        .contains(CheckpointStore.shardFile(1, 2, 0) + " has " + (bytes.length - 8)
                                + " bytes, the manifest says " + bytes.length),
                truncated.getMessage());
        assertTrue(store.newest().isEmpty(), "a broken checkpoint is not resumed from");
    }

    @Test
    void pruningKeepsTheNewestCommittedUpToTheCurrentStepAndDropsOlderPartialOnes() {
        CheckpointStore store = new CheckpointStore(out.toString(), new Configuration());
        save(store, 1, 1, false);
        for (int step = 2; step <= 5; step++) {
            save(store, step, 2, true);
        }
        save(store, 6, 2, false); // a save in progress is newer than every commit: it stays
        save(store, 9, 2, true, "launch-0"); // the abandoned future of a run resumed from an older checkpoint
        store.prune(2, 5);
        assertEquals(List.of(9, 6, 5, 4), store.steps());
    }

    @Test
    void theNewestCheckpointIsTheLastCommittedAndARetryTakesItsOwnLaunchs() {
        CheckpointStore store = new CheckpointStore(out.toString(), new Configuration());
        save(store, 4, 2, true, "launch-0");
        save(store, 8, 2, true, "launch-0"); // then the user rolled back to 4 (or restarted from scratch)
        save(store, 6, 2, true, "launch-1");
        save(store, 7, 2, true, "launch-2");
        assertEquals(7, store.newest().orElseThrow().manifest().step(), "not the abandoned checkpoint-8");
        assertEquals(
                6, store.newestOfLaunch("launch-1").orElseThrow().manifest().step());
        assertTrue(store.newestOfLaunch("launch-3").isEmpty());
    }

    @Test
    void identityDifferencesNameWhatChanged() {
        RunIdentity now = RunIdentity.of("file:/tables/packed", 3, "base-sha", "full", LAYOUT, 16, 7);
        assertEquals(
                List.of("global batch rows: 8 in the checkpoint, 16 now", "seed: 42 in the checkpoint, 7 now"),
                now.differencesFrom(identity()));
        RunIdentity other = RunIdentity.of(
                "file:/tables/packed",
                3,
                "base-sha",
                "full",
                ParamLayout.builder().add("w", 59, 17).build(),
                8,
                42);
        assertEquals(1, other.differencesFrom(identity()).size());
        RunIdentity instruct = RunIdentity.of("file:/tables/packed", 3, "other-base-sha", "full", LAYOUT, 8, 42);
        assertEquals(
                List.of("base model (config.json and weights sample; and adapter_name_or_path's adapter): base-sha "
                        + "in the checkpoint, other-base-sha now"),
                instruct.differencesFrom(identity()));
    }
}
