package dev.sparktune.trainer.task;

import dev.sparktune.dl4j.collective.TcpRingCollective;
import dev.sparktune.trainer.checkpoint.CheckpointException;
import dev.sparktune.trainer.checkpoint.CheckpointManifest;
import dev.sparktune.trainer.checkpoint.CheckpointStore;
import dev.sparktune.trainer.checkpoint.StatePiece;
import dev.sparktune.trainer.checkpoint.StateReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One rank's part in the checkpoints of the run: restoring the one to start from and saving one every save_steps.
 * The ranks wait for each other's file I/O on Spark's barrier (no deadline) rather than on the ring, whose
 * no-progress timeout is meant for network stalls.
 */
final class RankCheckpoints {
    private static final Logger LOG = LoggerFactory.getLogger(RankCheckpoints.class);
    private final TrainingContext ctx;
    private final BarrierTaskContext task;
    private final TcpRingCollective ring;
    private final CheckpointStore store;

    RankCheckpoints(TrainingContext ctx, BarrierTaskContext task, TcpRingCollective ring, CheckpointStore store) {
        this.ctx = ctx;
        this.task = task;
        this.ring = ring;
        this.store = store;
    }

    /** Restores {@code trainer} from the checkpoint to start from; returns it, or null to start from scratch. */
    CheckpointStore.Committed restore(RankTrainer trainer) {
        CheckpointStore.Committed resume = resumePoint();
        if (resume != null) {
            try (StateReader reader = store.reader(resume)) {
                trainer.restore(reader);
            }
        }
        task.barrier(); // restoring fetched and hashed shards (file I/O): wait here, not in the first step
        return resume;
    }

    /**
     * Rank 0 picks the checkpoint to start from, every rank follows: the newest one this launch saved (a retried
     * stage resumes from what its failed attempt committed), else the driver's choice. Sharing rank 0's choice keeps
     * ranks from disagreeing when a commit lands while they look.
     */
    private CheckpointStore.Committed resumePoint() {
        double step = 0;
        double own = 0;
        if (ring.rank() == 0) {
            // only a retried attempt can find checkpoints of this launch
            CheckpointStore.Committed saved = task.stageAttemptNumber() == 0
                    ? null
                    : store.newestOfLaunch(ctx.launchId()).orElse(null);
            CheckpointStore.Committed chosen =
                    saved != null ? saved : ctx.resumeDir() == null ? null : store.read(ctx.resumeDir());
            step = chosen == null ? 0 : chosen.manifest().step() + 1;
            own = saved != null ? 1 : 0;
        }
        double[] chosen = ring.allReduceSum(step, own);
        if (chosen[0] == 0) {
            return null;
        }
        int done = (int) chosen[0] - 1;
        CheckpointStore.Committed resume = store.read(chosen[1] == 1 ? store.dir(done) : ctx.resumeDir());
        List<String> differences =
                ctx.identity().differencesFrom(resume.manifest().run());
        if (!differences.isEmpty()) {
            throw new CheckpointException(
                    resume.dir(), resume.dir() + " belongs to another run: " + String.join("; ", differences));
        }
        return resume;
    }

    /**
     * Checkpoint after {@code done} steps: rank 0 clears the directory, every rank writes its share, then rank 0
     * commits (manifest + marker, with a copy of {@code trainerLog}; null on the other ranks) and prunes to
     * save_total_limit. Sizes and hashes of the shards reach rank 0 through the barrier's allGather.
     */
    void save(RankTrainer trainer, int done, Path trainerLog) {
        long t0 = System.nanoTime();
        int rank = ring.rank();
        int world = ring.worldSize();
        int attempt = task.stageAttemptNumber();
        if (rank == 0) {
            store.clear(done);
        }
        task.barrier();
        List<StatePiece> pieces = trainer.checkpointPieces();
        ShardInfo mine = pieces.isEmpty()
                ? null
                : ShardInfo.of(store.writeShard(done, CheckpointStore.shardFile(rank, world, attempt), pieces));
        String[] all = task.allGather(mine == null ? ShardInfo.NONE : mine.message());
        if (rank == 0) {
            List<CheckpointManifest.Shard> shards = new ArrayList<>();
            for (int r = 0; r < world; r++) {
                List<CheckpointManifest.Range> ranges = trainer.checkpointRanges(r);
                if (!ranges.isEmpty()) {
                    shards.add(ShardInfo.parse(all[r]).shard(CheckpointStore.shardFile(r, world, attempt), ranges));
                }
            }
            CheckpointManifest manifest = new CheckpointManifest(
                    CheckpointManifest.FORMAT,
                    CheckpointManifest.VERSION,
                    done,
                    ctx.plan().totalSteps(),
                    world,
                    ctx.config().parallelism().sharding().key(),
                    trainer.optimizerSteps(),
                    ctx.launchId(),
                    System.currentTimeMillis(),
                    ctx.identity(),
                    shards);
            store.commit(manifest, trainerLog);
            store.prune(ctx.config().checkpointing().saveTotalLimit(), done);
            LOG.info(
                    "checkpoint {} committed in {} s",
                    store.dir(done),
                    String.format("%.1f", (System.nanoTime() - t0) / 1e9));
        }
        task.barrier();
    }
}
