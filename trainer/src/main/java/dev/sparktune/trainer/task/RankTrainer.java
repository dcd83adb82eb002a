package dev.sparktune.trainer.task;

import dev.sparktune.dl4j.collective.Collective;
import dev.sparktune.dl4j.flops.TrainingFlops;
import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.LmHeadLoss;
import dev.sparktune.dl4j.layers.PackedBatch;
import dev.sparktune.dl4j.lora.LoraConfig;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelWeights;
import dev.sparktune.dl4j.optim.LrSchedule;
import dev.sparktune.trainer.api.FinetuningType;
import dev.sparktune.trainer.api.Sharding;
import dev.sparktune.trainer.api.TrainConfig;
import dev.sparktune.trainer.checkpoint.CheckpointManifest;
import dev.sparktune.trainer.checkpoint.StatePiece;
import dev.sparktune.trainer.checkpoint.StateReader;
import dev.sparktune.trainer.data.RowSource;
import dev.sparktune.trainer.data.TrainRow;
import dev.sparktune.trainer.plan.StepPlan;
import dev.sparktune.trainer.reference.RefLogProbs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One rank's training loop around an already-built model: for each optimizer step it takes its share of the step's
 * rows ({@link StepPlan}), runs the {@link Objective}'s forward/backward per micro-batch with the loss divided by the
 * step's GLOBAL count of its units (supervised tokens, or preference pairs), so world size, micro-batching and
 * packing do not change the result, and lets the fsdp strategy
 * ({@link TrainingState}: {@link ReplicatedTrainableState} for no_shard, shard_grad_op and lora's full_shard,
 * {@link FullyShardedState} for full fine-tuning's full_shard) synchronise the gradients over the {@link Collective}
 * and update with AdamW.
 */
public final class RankTrainer implements AutoCloseable {
    private final TrainConfig config;
    private final StepPlan plan;
    private final Collective collective;
    private final RowSource rows;
    private final int seqLen;
    private final TrainingState state;
    private final LrSchedule schedule;
    private final TrainingFlops flops;
    private final Objective objective;
    private int cachedEpoch = -1;
    private Map<Long, TrainRow> epochRows = Map.of();
    private int orderEpoch = -1;
    private long[] order;

    /**
     * @param base the base model: full_shard reads only this rank's share of it (pass {@link HfModelDir#open} to
     *             keep the rest on disk); the other modes load it whole
     * @param startAdapter the local PEFT adapter directory whose weights start LoRA training (adapter_name_or_path),
     *             or null for new adapters
     * @param reference the reference log-probs of preference training (null for the reference-free losses and for
     *             train.ref_logprobs = adapters_off, whose reference is this model with its adapters off); with
     *             {@code pairs} false it is ignored
     * @param pairs whether the rows hold preference pairs: train them with the config's preference loss
     */
    public RankTrainer(
            TrainConfig config,
            StepPlan plan,
            ModelWeights base,
            int seqLen,
            Collective collective,
            RowSource rows,
            Path startAdapter,
            boolean pairs,
            RefLogProbs.Lookup reference) {
        if (plan.worldSize() != collective.worldSize()) {
            throw new IllegalArgumentException(
                    "the plan is for " + plan.worldSize() + " ranks but the collective has " + collective.worldSize());
        }
        // preference training runs without dropout, as LLaMA-Factory's and TRL's (disable_dropout): the policy's
        // log-probs are compared with the reference's, which had none
        LoraConfig lora = config.finetuning().lora();
        TrainConfig run = pairs && lora != null && lora.dropout() > 0
                ? config.toBuilder()
                        .lora(lora.rank(), lora.alpha(), 0, lora.loraTarget(), lora.rsLora())
                        .build()
                : config;
        this.config = run;
        this.plan = plan;
        this.collective = collective;
        this.rows = rows;
        this.seqLen = seqLen;
        this.state = run.parallelism().sharding() == Sharding.FULL_SHARD
                        && run.finetuning().type() == FinetuningType.FULL
                ? new FullyShardedState(run, base, plan.microBatchRows(), seqLen, collective)
                : new ReplicatedTrainableState(run, base, plan.microBatchRows(), seqLen, collective, startAdapter);
        this.schedule = run.schedule().lr(plan.totalSteps());
        this.flops = run.trainingFlops(state.model().config());
        this.objective = !pairs
                ? Objective.NEXT_TOKEN
                : run.preference().adaptersOff()
                                && run.preference().loss().type().needsReference()
                        ? new PreferenceObjective(run.preference().loss(), state.adapterSwitch())
                        : new PreferenceObjective(run.preference().loss(), reference);
    }

    /** Runs optimizer step {@code step} (0-based, in order) on every rank. */
    public StepMetrics step(int step) {
        long t0 = System.nanoTime();
        int epoch = plan.epochOf(step);
        long[] mine = plan.rankRows(plan.stepRows(step, orderOf(epoch)), collective.rank());
        loadEpoch(epoch);
        List<MicroBatch> micro = new ArrayList<>();
        long localUnits = 0;
        long localSupervised = 0;
        long localTokens = 0;
        double localUsefulFlops = 0;
        for (long[] ids : plan.microBatches(mine)) {
            MicroBatch mb = microBatch(ids);
            micro.add(mb);
            localUnits += objective.units(mb);
            localSupervised += CausalLm.supervisedCount(mb.targets());
            localTokens += mb.tokens();
            localUsefulFlops += mb.usefulFlops();
        }
        double[] counts = collective.allReduceSum(localSupervised, localTokens, localUsefulFlops, localUnits);
        double globalUnits = Math.max(1, counts[3]);
        state.zeroGrads();
        List<String> names = objective.metricNames();
        double[] local = new double[1 + names.size()]; // the loss, then each metric's sum
        double[] metricSums = new double[names.size()];
        for (MicroBatch mb : micro) {
            state.beforeMicroBatch(step, mb.rowIds(), plan.microBatchRows());
            local[0] += objective.forwardBackward(state.model(), mb, globalUnits, metricSums);
        }
        // full_shard gathers and reduce-scatters inside every forward/backward: each rank must run as many as the
        // busiest rank of this step (the objective's passes, so as many forwards each), the extra ones on padding
        for (int pass = micro.size();
                config.parallelism().sharding() == Sharding.FULL_SHARD && pass < mostMicroBatches(step, epoch);
                pass++) {
            objective.forwardBackward(
                    state.model(),
                    MicroBatch.padding(plan.microBatchRows(), seqLen),
                    globalUnits,
                    new double[names.size()]);
        }
        System.arraycopy(metricSums, 0, local, 1, metricSums.length);
        double[] reduced = collective.allReduceSum(local);
        double loss = reduced[0];
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            metrics.put(names.get(i), reduced[1 + i] / globalUnits);
        }
        double gradNorm = state.synchroniseAndUpdate(
                step, loss, config.optimizer().adamW().lr() * schedule.factor(step));
        double epochProgress = (double) (step + 1) / plan.stepsPerEpoch();
        return new StepMetrics(
                step,
                epochProgress,
                loss,
                gradNorm,
                config.optimizer().adamW().lr() * schedule.factor(step),
                (long) counts[1],
                (long) counts[0],
                counts[2],
                (System.nanoTime() - t0) / 1e9,
                metrics);
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
        for (int s = epoch * plan.stepsPerEpoch();
                s < Math.min(plan.totalSteps(), (epoch + 1) * plan.stepsPerEpoch());
                s++) {
            for (long i : plan.rankRows(plan.stepRows(s, epochOrder), collective.rank())) {
                wanted.add(i);
            }
        }
        long[] sorted =
                wanted.stream().mapToLong(Long::longValue).sorted().distinct().toArray();
        epochRows = new HashMap<>(rows.read(sorted));
        cachedEpoch = epoch;
    }

    /**
     * Rows padded to [B, T], T the {@link CausalLm#rowLength} of the longest (a table without packing holds rows much
     * shorter than its seq_len, and padding costs what real tokens cost); absent rows and padding carry no loss.
     */
    private MicroBatch microBatch(long[] rowIds) {
        int b = plan.microBatchRows();
        TrainRow[] batchRows = new TrainRow[rowIds.length];
        int longest = 1;
        for (int i = 0; i < rowIds.length; i++) {
            TrainRow row = epochRows.get(rowIds[i]);
            if (row == null) {
                throw new IllegalStateException("row " + rowIds[i] + " was not read for this epoch");
            }
            if (row.numTokens() > seqLen) {
                throw new IllegalArgumentException("row " + rowIds[i] + " has " + row.numTokens()
                        + " tokens, more than the table's seq_len " + seqLen);
            }
            batchRows[i] = row;
            longest = Math.max(longest, row.numTokens());
        }
        int t = CausalLm.rowLength(longest, seqLen);
        int[] ids = new int[b * t];
        int[] labels = new int[b * t];
        Arrays.fill(labels, LmHeadLoss.IGNORE);
        int[][] docLens = new int[b][0];
        long tokens = 0;
        double useful = 0;
        for (int i = 0; i < rowIds.length; i++) {
            TrainRow row = batchRows[i];
            System.arraycopy(row.inputIds(), 0, ids, i * t, row.numTokens());
            System.arraycopy(row.labels(), 0, labels, i * t, row.numTokens());
            docLens[i] = row.docLens();
            tokens += row.numTokens();
            useful += flops.perRow(row.docLens());
        }
        PackedBatch packed = PackedBatch.fromDocLens(t, docLens);
        return new MicroBatch(rowIds, batchRows, ids, CausalLm.targets(labels, packed), packed, t, tokens, useful);
    }

    private int mostMicroBatches(int step, int epoch) {
        long[] stepRows = plan.stepRows(step, orderOf(epoch));
        int most = 0;
        for (int r = 0; r < plan.worldSize(); r++) {
            most = Math.max(most, plan.microBatches(plan.rankRows(stepRows, r)).size());
        }
        return most;
    }

    /**
     * Collective: every rank calls it. Writes the result into local directory {@code dir} on the rank that passes one
     * (rank 0): an HF model directory (full; tokenizer files copied from {@code tokenizerDir}) or a PEFT adapter
     * (lora); the other ranks pass null and only take part in gathering sharded parameters.
     */
    public List<Path> save(Path dir, Path tokenizerDir, String baseModelPath) {
        return state.save(dir, tokenizerDir, baseModelPath);
    }

    /** Collective. The trained parameters (adapters for lora), flat in the trainable layout's order. */
    public INDArray trainableParams() {
        return state.trainableParams();
    }

    /** The ranges of the flat state this rank writes into a checkpoint (views of its buffers). */
    public List<StatePiece> checkpointPieces() {
        return state.checkpointPieces();
    }

    /** The ranges rank {@code rank} writes into a checkpoint, for the manifest. */
    public List<CheckpointManifest.Range> checkpointRanges(int rank) {
        return state.checkpointRanges(rank);
    }

    /** Elements of the flat trainable layout. */
    public long trainableLength() {
        return state.trainableLength();
    }

    /** AdamW steps taken (the bias-correction count a checkpoint must carry). */
    public long optimizerSteps() {
        return state.optimizerSteps();
    }

    /**
     * Replaces the trainable parameters, this rank's AdamW moments and step count with a checkpoint's, whatever world
     * size and sharding wrote it. Call on every rank before the first {@link #step}.
     */
    public void restore(StateReader reader) {
        if (reader.manifest().run().trainableLength() != state.trainableLength()) {
            throw new IllegalArgumentException(
                    "the checkpoint holds " + reader.manifest().run().trainableLength()
                            + " trainable elements, this model has " + state.trainableLength());
        }
        state.restore(reader);
    }

    /** Model FLOPs per token of one of this trainer's steps (the MFU numerator). */
    public double modelFlopsPerToken() {
        return flops.perToken(seqLen);
    }

    /** The objective's own metrics, the names the trainer log and TensorBoard carry beside the loss. */
    public List<String> objectiveMetrics() {
        return objective.metricNames();
    }

    /** Bytes this rank holds for trainable parameters, their gradients, the optimizer state and activations. */
    public HeldBytes heldBytes() {
        return state.heldBytes();
    }

    @Override
    public void close() {
        state.close();
    }
}
