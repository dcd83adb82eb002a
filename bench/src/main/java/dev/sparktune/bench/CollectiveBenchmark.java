package dev.sparktune.bench;

import dev.sparktune.dl4j.collective.PeerAddress;
import dev.sparktune.dl4j.collective.RingListener;
import dev.sparktune.dl4j.collective.RingOptions;
import dev.sparktune.dl4j.collective.TcpRingCollective;
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
 * size: {"ranks", "bytes", "seconds", "busGBps"} with bus bandwidth = 2(n−1)/n × bytes / time (NCCL-tests' definition).
 * Usage: CollectiveBenchmark DIR RANK WORLD SIZE_MB...
 */
public final class CollectiveBenchmark {
    private CollectiveBenchmark() {
    }

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
            peers.add(PeerAddress.parse(Files.readString(p, StandardCharsets.US_ASCII).trim()));
        }
        try (TcpRingCollective ring = TcpRingCollective.connect(listener, rank, peers, secret,
                RingOptions.defaults().withPieceBytes(Integer.getInteger("sparktune.bench.pieceBytes",
                        RingOptions.DEFAULT_PIECE_BYTES)))) {
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
                long t0 = System.nanoTime();
                for (int it = 0; it < iters; it++) {
                    ring.allReduce(x);
                }
                ring.barrier();
                double seconds = (System.nanoTime() - t0) / 1e9 / iters;
                if (rank == 0) {
                    double bus = 2.0 * (world - 1) / world * bytes / seconds / 1e9;
                    System.out.printf("{\"impl\": \"sparktune-tcp-ring\", \"ranks\": %d, \"bytes\": %d, "
                            + "\"seconds\": %.6f, \"busGBps\": %.3f}%n", world, bytes, seconds, bus);
                }
                x.close();
            }
        }
    }
}
