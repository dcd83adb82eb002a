package dev.sparktune.trainer.task;

import dev.sparktune.dl4j.collective.Collective;
import dev.sparktune.dl4j.collective.FlatShards;
import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.PackedBatch;
import dev.sparktune.dl4j.lora.LoraAdapters;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.optim.AdamW;
import dev.sparktune.dl4j.optim.GradClip;
import dev.sparktune.dl4j.optim.LrSchedule;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.trainer.api.FinetuningType;
import dev.sparktune.trainer.api.Sharding;
import dev.sparktune.trainer.api.TrainConfig;
import dev.sparktune.trainer.checkpoint.StateReader;
import dev.sparktune.trainer.data.RowSource;
import dev.sparktune.trainer.data.TrainRow;
import dev.sparktune.trainer.plan.StepPlan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One rank's training loop around an already-built model: for each optimizer step it takes its share of the step's
 * rows ({@link StepPlan}), runs forward/backward per micro-batch with the loss divided by the step's GLOBAL supervised
 * token count (so world size, micro-batching and packing do not change the result), synchronises gradients over the
 * {@link Collective} and updates with AdamW.
 * <ul>
 *   <li>{@link Sharding#NO_SHARD}: all-reduce the gradients; every rank clips and updates everything.</li>
 *   <li>{@link Sharding#SHARD_GRAD_OP}: reduce-scatter the gradients; the global norm is the sum of the shards'
 *       squared norms; each rank keeps the AdamW state of its shard only and updates it; all-gather the parameters.</li>
 * </ul>
 * What is trained is the flat "trainable" buffer: all parameters (full) or the adapters (lora, base frozen).
 */
public final class RankTrainer implements AutoCloseable {
    private final TrainConfig config;
    private final StepPlan plan;
    private final Collective collective;
    private final RowSource rows;
    private final int seqLen;
    private final ModelConfig modelConfig;
    private final ParamLayout baseLayout;
    private final INDArray baseParams;      // the whole model, [P]
    private final LoraAdapters adapters;    // null for full fine-tuning
    private final ParamLayout layout;       // the trainable layout
    private final INDArray params;          // trainable, [N]
    private final INDArray grads;           // [N]
    private final FlatShards shards;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final CausalLm model;
    private int cachedEpoch = -1;
    private Map<Long, TrainRow> epochRows = Map.of();
    private int orderEpoch = -1;
    private long[] order;

    public RankTrainer(TrainConfig config, StepPlan plan, HfModelDir.Loaded base, int seqLen, Collective collective,
                       RowSource rows) {
        if (plan.worldSize() != collective.worldSize()) {
            throw new IllegalArgumentException("the plan is for " + plan.worldSize() + " ranks but the collective has "
                    + collective.worldSize());
        }
        this.config = config;
        this.plan = plan;
        this.collective = collective;
        this.rows = rows;
        this.seqLen = seqLen;
        this.modelConfig = base.config();
        this.baseLayout = base.layout();
        this.baseParams = base.params();
        int micro = plan.microBatchRows();
        if (config.finetuningType() == FinetuningType.LORA) {
            this.adapters = new LoraAdapters(modelConfig, config.lora(), config.seed());
            this.layout = adapters.layout();
            this.params = adapters.init(config.seed());
            this.grads = layout.allocate();
            this.model = new CausalLm(modelConfig, baseLayout, baseParams, null, micro, seqLen,
                    config.lossChunkRows(), adapters.projections(params, grads));
        } else {
            this.adapters = null;
            this.layout = baseLayout;
            this.params = baseParams;
            this.grads = layout.allocate();
            this.model = new CausalLm(modelConfig, baseLayout, baseParams, grads, micro, seqLen,
                    config.lossChunkRows());
        }
        // Rank 0's copy is the truth: any difference in how ranks loaded or initialised is erased before step 0.
        collective.broadcast(params, 0);
        this.shards = collective.shards(layout.totalLength());
        this.optimizer = config.sharding() == Sharding.SHARD_GRAD_OP
                ? AdamW.sharded(layout, config.adamW(), AdamW.decayMatrices(), shards.start(collective.rank()),
                        shards.end(collective.rank()))
                : new AdamW(layout, config.adamW(), AdamW.decayMatrices());
        this.schedule = config.schedule(plan.totalSteps());
    }

    /** Runs optimizer step {@code step} (0-based, in order) on every rank. */
    public StepMetrics step(int step) {
        long t0 = System.nanoTime();
        int epoch = plan.epochOf(step);
        long[] mine = plan.rankRows(plan.stepRows(step, orderOf(epoch)), collective.rank());
        loadEpoch(epoch);
        List<MicroBatch> micro = new ArrayList<>();
        long localSupervised = 0;
        long localTokens = 0;
        for (long[] ids : plan.microBatches(mine)) {
            MicroBatch mb = microBatch(ids);
            micro.add(mb);
            localSupervised += CausalLm.supervisedCount(mb.targets);
            localTokens += mb.tokens;
        }
        double[] counts = collective.allReduceSum(localSupervised, localTokens);
        double globalSupervised = Math.max(1, counts[0]);
        grads.assign(0);
        double localLoss = 0;
        for (MicroBatch mb : micro) {
            localLoss += model.forwardBackward(mb.inputIds, mb.targets, mb.packed, globalSupervised);
        }
        double loss = collective.allReduceSum(localLoss)[0];
        double gradNorm = synchroniseAndUpdate(step, loss);
        double epochProgress = (double) (step + 1) / plan.stepsPerEpoch();
        return new StepMetrics(step, epochProgress, loss, gradNorm, config.learningRate() * schedule.factor(step),
                (long) counts[1], (long) counts[0], (System.nanoTime() - t0) / 1e9);
    }

    /** Reduces the gradients, and updates unless the loss or the global gradient norm is not finite. */
    private double synchroniseAndUpdate(int step, double loss) {
        double lr = config.learningRate() * schedule.factor(step);
        double norm;
        if (config.sharding() == Sharding.SHARD_GRAD_OP) {
            collective.reduceScatter(grads);
            INDArray shard = shardView(grads);
            double local = shard == null ? 0 : Math.pow(shard.norm2Number().doubleValue(), 2);
            norm = Math.sqrt(collective.allReduceSum(local)[0]);
            checkFinite(step, loss, norm);
            if (config.maxGradNorm() > 0 && shard != null) {
                GradClip.scale(shard, norm, config.maxGradNorm());
            }
            optimizer.step(params, grads, lr);
            collective.allGather(params);
        } else {
            collective.allReduce(grads);
            norm = GradClip.norm(grads);
            checkFinite(step, loss, norm);
            if (config.maxGradNorm() > 0) {
                GradClip.scale(grads, norm, config.maxGradNorm());
            }
            optimizer.step(params, grads, lr);
        }
        return norm;
    }

    private static void checkFinite(int step, double loss, double gradNorm) {
        if (!Double.isFinite(loss) || !Double.isFinite(gradNorm)) {
            throw new NonFiniteLossException(step, loss, gradNorm);
        }
    }

    private INDArray shardView(INDArray flat) {
        int r = collective.rank();
        return shards.size(r) == 0 ? null : flat.get(NDArrayIndex.interval(shards.start(r), shards.end(r)));
    }

    private long[] orderOf(int epoch) {
        if (epoch != orderEpoch) {
            order = plan.epochOrder(epoch);
            orderEpoch = epoch;
        }
        return order;
    }

    /** Reads this rank's rows of every remaining step of {@code epoch} in one pass over the source. */
    private void loadEpoch(int epoch) {
        if (epoch == cachedEpoch) {
            return;
        }
        long[] epochOrder = orderOf(epoch);
        List<Long> wanted = new ArrayList<>();
        for (int s = epoch * plan.stepsPerEpoch(); s < Math.min(plan.totalSteps(), (epoch + 1) * plan.stepsPerEpoch());
             s++) {
            for (long i : plan.rankRows(plan.stepRows(s, epochOrder), collective.rank())) {
                wanted.add(i);
            }
        }
        long[] sorted = wanted.stream().mapToLong(Long::longValue).sorted().distinct().toArray();
        epochRows = new HashMap<>(rows.read(sorted));
        cachedEpoch = epoch;
    }

    private record MicroBatch(int[] inputIds, int[] targets, PackedBatch packed, long tokens) {
    }

    /** Rows padded into the model's fixed [B, T] buffers; absent rows and padding carry no loss. */
    private MicroBatch microBatch(long[] rowIds) {
        int b = plan.microBatchRows();
        int[] ids = new int[b * seqLen];
        int[] labels = new int[b * seqLen];
        Arrays.fill(labels, -100);
        int[][] docLens = new int[b][];
        long tokens = 0;
        for (int i = 0; i < b; i++) {
            if (i >= rowIds.length) {
                docLens[i] = new int[0];
                continue;
            }
            TrainRow row = epochRows.get(rowIds[i]);
            if (row == null) {
                throw new IllegalStateException("row " + rowIds[i] + " was not read for this epoch");
            }
            if (row.numTokens() > seqLen) {
                throw new IllegalArgumentException("row " + rowIds[i] + " has " + row.numTokens()
                        + " tokens, more than the table's seq_len " + seqLen);
            }
            System.arraycopy(row.inputIds(), 0, ids, i * seqLen, row.numTokens());
            System.arraycopy(row.labels(), 0, labels, i * seqLen, row.numTokens());
            docLens[i] = row.docLens();
            tokens += row.numTokens();
        }
        PackedBatch packed = PackedBatch.fromDocLens(seqLen, docLens);
        return new MicroBatch(ids, CausalLm.targets(labels, packed), packed, tokens);
    }

    /**
     * Writes the result into local directory {@code dir}: an HF model directory (full; tokenizer files copied from
     * {@code tokenizerDir}) or a PEFT adapter (lora). Call on one rank only.
     */
    public List<Path> save(Path dir, Path tokenizerDir, String baseModelPath) {
        if (adapters != null) {
            return adapters.save(dir, params, baseModelPath);
        }
        return HfModelDir.save(dir, modelConfig, baseLayout, baseParams, tokenizerDir, 2L << 30);
    }

    /**
     * This rank's share of a checkpoint: elements [start, end) of the trainable parameters and of both AdamW moments
     * (the world-size split of the flat buffer; in shard_grad_op exactly the optimizer shard this rank owns). Null
     * when the share is empty (more ranks than elements).
     */
    public StateShare checkpointShare() {
        int r = collective.rank();
        long a = shards.start(r);
        long b = shards.end(r);
        if (a == b) {
            return null;
        }
        long o = optimizer.start();
        return new StateShare(a, b, params.get(NDArrayIndex.interval(a, b)),
                optimizer.firstMoment().get(NDArrayIndex.interval(a - o, b - o)),
                optimizer.secondMoment().get(NDArrayIndex.interval(a - o, b - o)));
    }

    /**
     * Views of one range of the training state.
     *
     * @param start     first flat element
     * @param end       one past the last
     * @param params    trainable parameters [end - start]
     * @param expAvg    AdamW first moments [end - start]
     * @param expAvgSq  AdamW second moments [end - start]
     */
    public record StateShare(long start, long end, INDArray params, INDArray expAvg, INDArray expAvgSq) {
    }

    /** AdamW steps taken (the bias-correction count a checkpoint must carry). */
    public long optimizerSteps() {
        return optimizer.steps();
    }

    /**
     * Replaces the trainable parameters, this rank's AdamW moments and step count with a checkpoint's, whatever world
     * size and sharding wrote it. Call on every rank before the first {@link #step}.
     */
    public void restore(StateReader reader) {
        if (reader.manifest().run().trainableLength() != layout.totalLength()) {
            throw new IllegalArgumentException("the checkpoint holds " + reader.manifest().run().trainableLength()
                    + " trainable elements, this model has " + layout.totalLength());
        }
        reader.params(0, layout.totalLength(), params);
        long a = optimizer.start();
        long b = optimizer.end();
        if (b > a) {
            reader.firstMoment(a, b, optimizer.firstMoment().get(NDArrayIndex.interval(0, b - a)));
            reader.secondMoment(a, b, optimizer.secondMoment().get(NDArrayIndex.interval(0, b - a)));
        }
        optimizer.restoreSteps(reader.manifest().optimizerSteps());
    }

    /** The trained parameters (adapters for lora), flat in {@link #trainableLayout()} order. */
    public INDArray trainableParams() {
        return params;
    }

    public ParamLayout trainableLayout() {
        return layout;
    }

    /** Bytes this rank holds for trainable parameters, their gradients and the optimizer state. */
    public HeldBytes heldBytes() {
        return new HeldBytes(4L * baseLayout.totalLength() + (adapters == null ? 0 : 4L * layout.totalLength()),
                4L * layout.totalLength(), optimizer.stateBytes());
    }

    @Override
    public void close() {
        grads.close();
    }
}
