package dev.sparktune.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.sparktune.dl4j.collective.PeerAddress;
import dev.sparktune.dl4j.collective.RingListener;
import dev.sparktune.dl4j.collective.RingOptions;
import dev.sparktune.dl4j.collective.TcpRingCollective;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One rank of the all-reduce bandwidth benchmark (bench/collectives.sh starts one JVM per rank, as torch.distributed
 * runs one process per rank). Ranks rendezvous through files in a shared directory; rank 0 prints one JSON line per
 * size: {"ranks", "bytes", "seconds", "busGBps", "cpuSecondsPerRank"} with bus bandwidth = 2(n−1)/n × bytes / time
 * (NCCL-tests' definition) and the CPU time of rank 0's process (all its threads) per all-reduce: with more ranks than
 * cores, the wall time follows the CPU every rank burns.
 * Usage: CollectiveBenchmark DIR RANK WORLD SIZE_MB...
 */
public final class CollectiveBenchmark {
    /**
     * All-reduces of 16 MB before the first size, as in allreduce_gloo.py: with 4 JVMs on 2 cores, C2 compiled the
     * socket read and write paths only ~14 s into a run (they are called per piece, a few hundred times per
     * all-reduce), so the first sizes measured interpreter and C1 code that a training job leaves behind in its first
     * minute. Measured: 4 ranks, the first 16 MB run 0.59 GB/s, the same size again right after it 0.71-0.75.
     */
    private static final int SETTLE_ITERATIONS = 200;

    private static final long SETTLE_FLOATS = 4L << 20;

    private CollectiveBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int rank = Integer.parseInt(args[1]);
        int world = Integer.parseInt(args[2]);
        byte[] secret = Files.readAllBytes(dir.resolve("secret"));
        RingListener listener = RingListener.bind("127.0.0.1");
        Path tmp = dir.resolve("addr-" + rank + ".tmp");
        Files.writeString(tmp, listener.address().toString());
        Files.move(tmp, dir.resolve("addr-" + rank), StandardCopyOption.ATOMIC_MOVE);
        List<PeerAddress> peers = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            Path p = dir.resolve("addr-" + r);
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!Files.exists(p)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("rank " + r + " never wrote " + p);
                }
                Thread.sleep(20);
            }
            peers.add(PeerAddress.parse(
                    Files.readString(p, StandardCharsets.US_ASCII).trim()));
        }
        OperatingSystemMXBean cpu = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (TcpRingCollective ring = TcpRingCollective.connect(
                listener,
                rank,
                peers,
                secret,
                RingOptions.defaults()
                        .withPieceBytes(
                                Integer.getInteger("sparktune.bench.pieceBytes", RingOptions.DEFAULT_PIECE_BYTES)))) {
            try (INDArray settle = Nd4j.rand(DataType.FLOAT, SETTLE_FLOATS)) {
                for (int it = 0; it < SETTLE_ITERATIONS; it++) {
                    ring.allReduce(settle);
                }
            }
            for (int i = 3; i < args.length; i++) {
                long bytes = (long) (Double.parseDouble(args[i]) * (1 << 20));
                INDArray x = Nd4j.rand(DataType.FLOAT, bytes / 4);
                int iters = (int) Math.max(3, Math.min(50, (1L << 30) / bytes));
                for (int it = 0; it < iters; it++) {
                    // warm-up as long as the measurement (and so in the reference): connection windows, page faults,
                    // and the JIT, which a training job's thousands of all-reduces have long paid for
                    ring.allReduce(x);
                }
                ring.barrier();
                long cpu0 = cpu.getProcessCpuTime();
                long t0 = System.nanoTime();
                for (int it = 0; it < iters; it++) {
                    ring.allReduce(x);
                }
                ring.barrier();
                double seconds = (System.nanoTime() - t0) / 1e9 / iters;
                double cpuSeconds = (cpu.getProcessCpuTime() - cpu0) / 1e9 / iters;
                if (rank == 0) {
                    double bus = 2.0 * (world - 1) / world * bytes / seconds / 1e9;
                    System.out.printf(
                            "{\"impl\": \"sparktune-tcp-ring\", \"ranks\": %d, \"bytes\": %d, "
                                    + "\"seconds\": %.6f, \"busGBps\": %.3f, \"cpuSecondsPerRank\": %.6f}%n",
                            world, bytes, seconds, bus, cpuSeconds);
                }
                x.close();
            }
        }
    }
}
