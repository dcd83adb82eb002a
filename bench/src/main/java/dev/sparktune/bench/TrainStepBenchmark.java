package dev.sparktune.bench;

import dev.sparktune.dl4j.collective.PeerAddress;
import dev.sparktune.dl4j.collective.RingListener;
import dev.sparktune.dl4j.collective.RingOptions;
import dev.sparktune.dl4j.collective.TcpRingCollective;
import dev.sparktune.dl4j.flops.GemmPeak;
import dev.sparktune.dl4j.flops.TrainingFlops;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelInit;
import dev.sparktune.dl4j.optim.LrSchedule;
import dev.sparktune.trainer.api.FinetuningType;
import dev.sparktune.trainer.api.Sharding;
import dev.sparktune.trainer.api.TrainConfig;
import dev.sparktune.trainer.metrics.Mfu;
import dev.sparktune.trainer.plan.StepPlan;
import dev.sparktune.trainer.task.HeldBytes;
import dev.sparktune.trainer.task.RankTrainer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Full fine-tuning step time per fsdp mode (and LoRA rows: no_shard, and full_shard with the frozen base sharded),
 * split into compute, communication (time inside collectives) and data (row reads), plus the bytes rank 0 holds against the ZeRO ideal 16Ψ/N (fp32 params + grads + two AdamW moments).
 * N ranks are threads of this JVM joined by the real TCP ring on loopback; run with OMP_NUM_THREADS=1 so each rank
 * computes on one core, like one torch process per rank with one thread.
 *
 * <p>Usage: {@code TrainStepBenchmark RANKS HIDDEN LAYERS HEADS KV_HEADS INTERMEDIATE VOCAB SEQ ROWS_PER_RANK STEPS
 * [DOCS_PER_ROW]}: with DOCS_PER_ROW > 1 each row packs that many equal documents, attention is per document, and
 * the useful MFU ({@link TrainingFlops#perRow}) falls below the model MFU (PaLM's, at the row length).
 */
public final class TrainStepBenchmark {
    private static final int WARMUP = 2;

    private TrainStepBenchmark() {}

    record RankResult(
            double stepSeconds, double commSeconds, double dataSeconds, HeldBytes held, TrainingFlops flops) {}

    public static void main(String[] args) throws Exception {
        int ranks = Integer.parseInt(args[0]);
        ModelConfig model = Qwen3ShapeArgs.parse(args, 1);
        int seq = Integer.parseInt(args[7]);
        int rowsPerRank = Integer.parseInt(args[8]);
        int steps = Integer.parseInt(args[9]);
        int docsPerRow = args.length > 10 ? Integer.parseInt(args[10]) : 1;
        if (docsPerRow < 1 || seq % docsPerRow != 0) {
            throw new IllegalArgumentException("DOCS_PER_ROW must divide SEQ, got " + docsPerRow);
        }
        int[] docLens = new int[docsPerRow];
        Arrays.fill(docLens, seq / docsPerRow);
        long psi = HfParamNames.layout(model).totalLength();
        double flopsPerToken = TrainingFlops.of(model, name -> true, 0).perToken(seq);
        double peak = GemmPeak.measure(1024, 5);
        System.out.printf(
                Locale.ROOT,
                "SparkTune full fine-tuning, Qwen3 %d params, %d ranks x %d rows x %d tokens"
                        + " (%d documents per row), %d measured steps; %.1f MFLOP/token (6N + 12LHQT); one core's fp32 GEMM"
                        + " peak %.1f GFLOP/s%n",
                psi,
                ranks,
                rowsPerRank,
                seq,
                docsPerRow,
                steps,
                flopsPerToken / 1e6,
                peak / 1e9);
        System.out.println("| fsdp | step s | compute s | comm s | data s | tokens/s | MFU | useful MFU | rank 0 holds"
                + " params / grads / AdamW / activations MB | 16Ψ/N MB |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|");
        Shape shape = new Shape(ranks, seq, rowsPerRank, steps, docLens, psi, peak);
        for (Sharding mode : Sharding.modes()) {
            row(mode.key(), run(model, full(mode, false), shape), shape);
        }
        row("no_shard + gradient_checkpointing", run(model, full(Sharding.NO_SHARD, true), shape), shape);
        // PEFT's LoRA on every linear layer of the decoder (LLaMA-Factory's lora_target: all), the anchor in
        // docs/BENCHMARKS.md "Targets"
        for (Sharding mode : List.of(Sharding.NO_SHARD, Sharding.FULL_SHARD)) {
            row(
                    "LoRA r 8, all linear, " + mode.key(),
                    run(
                            model,
                            TrainConfig.builder()
                                    .finetuningType(FinetuningType.LORA)
                                    .lora(8, 16, 0, "all", false)
                                    .sharding(mode),
                            shape),
                    shape);
        }
    }

    /** What every measured variant shares: ranks, row shape, steps, and the normalisers of the table. */
    record Shape(int ranks, int seq, int rowsPerRank, int steps, int[] docLens, long psi, double peak) {}

    private static TrainConfig.Builder full(Sharding mode, boolean checkpointing) {
        return TrainConfig.builder()
                .finetuningType(FinetuningType.FULL)
                .sharding(mode)
                .gradientCheckpointing(checkpointing);
    }

    private static void row(String what, List<RankResult> results, Shape shape) {
        int ranks = shape.ranks();
        RankResult r0 = results.get(0);
        Mfu mfu = new Mfu(r0.flops().perToken(shape.seq()), shape.peak(), ranks);
        double step =
                results.stream().mapToDouble(RankResult::stepSeconds).max().orElseThrow();
        double comm =
                results.stream().mapToDouble(RankResult::commSeconds).average().orElseThrow();
        double data =
                results.stream().mapToDouble(RankResult::dataSeconds).average().orElseThrow();
        double rows = (double) ranks * shape.rowsPerRank();
        double tokensPerSecond = rows * shape.seq() / step;
        double usefulPerSecond = rows * r0.flops().perRow(shape.docLens()) / step;
        System.out.printf(
                Locale.ROOT,
                "| %s | %.3f | %.3f | %.3f | %.3f | %.0f | %.0f%% | %.0f%% | %.1f / %.1f / %.1f /" + " %.1f | %.1f |%n",
                what,
                step,
                step - comm - data,
                comm,
                data,
                tokensPerSecond,
                100 * mfu.of(tokensPerSecond),
                100 * mfu.useful(usefulPerSecond),
                r0.held().params() / 1e6,
                r0.held().grads() / 1e6,
                r0.held().optimizerState() / 1e6,
                r0.held().activations() / 1e6,
                16.0 * shape.psi() / ranks / 1e6);
    }

    static List<RankResult> run(ModelConfig model, TrainConfig.Builder variant, Shape shape) throws Exception {
        int ranks = shape.ranks();
        int seq = shape.seq();
        int rowsPerRank = shape.rowsPerRank();
        int steps = shape.steps();
        TrainConfig config = variant.modelPath("bench")
                .table("bench")
                .outputDir("bench")
                .learningRate(1e-4)
                .scheduler(LrSchedule.Type.CONSTANT)
                .perDeviceBatchRows(rowsPerRank)
                .globalBatchRows(ranks * rowsPerRank)
                .maxSteps(WARMUP + steps)
                .worldSize(ranks)
                .lossChunkTokens(1024)
                .build();
        long rows = (long) ranks * rowsPerRank * (WARMUP + steps);
        StepPlan plan = StepPlan.of(
                rows, config.effectiveGlobalBatchRows(), rowsPerRank, ranks, 1, WARMUP + steps, config.seed());
        List<RingListener> listeners = new ArrayList<>();
        List<PeerAddress> peers = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            listeners.add(RingListener.bind("127.0.0.1"));
            peers.add(listeners.get(r).address());
        }
        byte[] secret = "train-step-benchmark-secret-0123456789".getBytes(StandardCharsets.US_ASCII);
        ExecutorService pool = Executors.newFixedThreadPool(ranks);
        try {
            List<Future<RankResult>> futures = new ArrayList<>();
            for (int r = 0; r < ranks; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    HfModelDir.Loaded base = ModelInit.random(model, 1, 0.02);
                    RandomRows data = new RandomRows(rows, seq, shape.docLens(), model.vocabSize(), 7);
                    try (TimedCollective ring = new TimedCollective(TcpRingCollective.connect(
                                    listeners.get(rank), rank, peers, secret, RingOptions.defaults()));
                            RankTrainer trainer =
                                    new RankTrainer(config, plan, base, seq, ring, data, null, false, null)) {
                        for (int s = 0; s < WARMUP; s++) {
                            trainer.step(s);
                        }
                        long comm0 = ring.nanos();
                        long data0 = data.nanos();
                        long t0 = System.nanoTime();
                        for (int s = WARMUP; s < WARMUP + steps; s++) {
                            trainer.step(s);
                        }
                        double n = steps * 1e9;
                        return new RankResult(
                                (System.nanoTime() - t0) / n,
                                (ring.nanos() - comm0) / n,
                                (data.nanos() - data0) / n,
                                trainer.heldBytes(),
                                config.trainingFlops(model));
                    }
                }));
            }
            List<RankResult> results = new ArrayList<>();
            for (Future<RankResult> f : futures) {
                results.add(f.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
