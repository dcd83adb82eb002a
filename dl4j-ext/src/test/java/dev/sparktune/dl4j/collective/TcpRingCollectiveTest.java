package dev.sparktune.dl4j.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.testkit.RingGroup;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The ring on real loopback sockets, n ranks as threads: every operation against a plain-Java reference, across
 * world sizes, lengths that leave ranks with empty or short shards, multi-piece chunks and buffers that are views at
 * an offset; results bit-identical on all ranks; authentication, stall timeouts and dead peers fail naming the peer.
 */
class TcpRingCollectiveTest {
    /** Small pieces so chunks span many pieces even for small test buffers. */
    static final RingOptions OPTIONS = RingOptions.defaults()
            .withPieceBytes(1024)
            .withConnectTimeout(Duration.ofSeconds(20))
            .withIoTimeout(Duration.ofSeconds(20));

    static float[] data(int rank, int length) {
        Random rnd = new Random(1000L * rank + length);
        float[] x = new float[length];
        for (int i = 0; i < length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    /** A buffer that is a view at a non-zero offset into a larger one, to catch offset arithmetic errors. */
    static INDArray viewOf(float[] values) {
        INDArray big = Nd4j.create(DataType.FLOAT, values.length + 13);
        big.assign(-7f);
        INDArray view = big.get(NDArrayIndex.interval(5, 5 + values.length));
        if (values.length > 0) {
            view.assign(Nd4j.createFromArray(values));
        }
        return view;
    }

    static float[] expectedSum(int n, int length) {
        double[] sum = new double[length];
        for (int r = 0; r < n; r++) {
            float[] x = data(r, length);
            for (int i = 0; i < length; i++) {
                sum[i] += x[i];
            }
        }
        float[] out = new float[length];
        for (int i = 0; i < length; i++) {
            out[i] = (float) sum[i];
        }
        return out;
    }

    @ParameterizedTest(name = "n={0} length={1}")
    @CsvSource({"1,10", "2,1", "2,1000", "3,2", "3,1001", "4,3", "4,4097", "4,100003"})
    void allReduceSumsAndEveryRankHoldsTheSameBits(int n, int length) throws Exception {
        try (RingGroup g = RingGroup.form(n, OPTIONS)) {
            List<float[]> results = g.run(r -> () -> {
                INDArray x = viewOf(data(r, length));
                g.rank(r).allReduce(x);
                return length == 0 ? new float[0] : x.toFloatVector();
            });
            float[] expected = expectedSum(n, length);
            for (int i = 0; i < length; i++) {
                assertEquals(expected[i], results.get(0)[i], 1e-5f * Math.max(1, Math.abs(expected[i])), "elem " + i);
            }
            for (int r = 1; r < n; r++) {
                assertArrayEquals(results.get(0), results.get(r), "rank " + r + " differs from rank 0");
            }
        }
    }

    @ParameterizedTest(name = "n={0} length={1}")
    @CsvSource({"2,1001", "3,7", "4,2", "4,50000"})
    void reduceScatterCompletesEachRanksOwnShard(int n, int length) throws Exception {
        try (RingGroup g = RingGroup.form(n, OPTIONS)) {
            FlatShards shards = new FlatShards(length, n);
            List<float[]> results = g.run(r -> () -> {
                INDArray x = viewOf(data(r, length));
                g.rank(r).reduceScatter(x);
                return x.toFloatVector();
            });
            float[] expected = expectedSum(n, length);
            for (int r = 0; r < n; r++) {
                for (long i = shards.start(r); i < shards.end(r); i++) {
                    assertEquals(
                            expected[(int) i],
                            results.get(r)[(int) i],
                            1e-5f * Math.max(1, Math.abs(expected[(int) i])),
                            "rank " + r + " elem " + i);
                }
            }
        }
    }

    @ParameterizedTest(name = "n={0} length={1}")
    @CsvSource({"2,5", "3,1000", "4,3", "4,70001"})
    void allGatherCopiesEveryShardFromItsOwner(int n, int length) throws Exception {
        try (RingGroup g = RingGroup.form(n, OPTIONS)) {
            FlatShards shards = new FlatShards(length, n);
            float[] expected = new float[length];
            for (int r = 0; r < n; r++) {
                float[] own = data(r, length);
                for (long i = shards.start(r); i < shards.end(r); i++) {
                    expected[(int) i] = own[(int) i];
                }
            }
            List<float[]> results = g.run(r -> () -> {
                float[] own = data(r, length);
                float[] start = new float[length];
                Arrays.fill(start, Float.NaN);
                for (long i = shards.start(r); i < shards.end(r); i++) {
                    start[(int) i] = own[(int) i];
                }
                INDArray x = viewOf(start);
                g.rank(r).allGather(x);
                return x.toFloatVector();
            });
            for (int r = 0; r < n; r++) {
                assertArrayEquals(expected, results.get(r), "rank " + r);
            }
        }
    }

    @ParameterizedTest(name = "n={0}")
    @CsvSource({"2", "3", "4"})
    void broadcastFromEveryRoot(int n) throws Exception {
        int length = 5000;
        try (RingGroup g = RingGroup.form(n, OPTIONS)) {
            for (int root = 0; root < n; root++) {
                int rt = root;
                List<float[]> results = g.run(r -> () -> {
                    INDArray x = viewOf(data(r, length));
                    g.rank(r).broadcast(x, rt);
                    return x.toFloatVector();
                });
                for (int r = 0; r < n; r++) {
                    assertArrayEquals(data(root, length), results.get(r), "root " + root + ", rank " + r);
                }
            }
        }
    }

    @Test
    void allReduceSumOfDoublesIsExactAndIdentical() throws Exception {
        try (RingGroup g = RingGroup.form(3, OPTIONS)) {
            List<double[]> results = g.run(r -> () -> g.rank(r).allReduceSum(r + 0.1, 1e15 * (r + 1), -r));
            for (double[] res : results) {
                assertArrayEquals(new double[] {0.1 + 1.1 + 2.1, 6e15, -3}, res, 1e-9);
                assertArrayEquals(results.get(0), res, 0.0);
            }
            g.run(r -> () -> {
                g.rank(r).barrier();
                return null;
            });
            assertTrue(g.rank(0).bytesMoved() > 0);
        }
    }

    @Test
    void aPeerWithoutTheSecretIsRejectedAndTheRingStillForms() throws Exception {
        RingListener l0 = RingListener.bind("127.0.0.1");
        RingListener l1 = RingListener.bind("127.0.0.1");
        List<PeerAddress> peers = List.of(l0.address(), l1.address());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            // Intruders first: garbage bytes, then a well-formed client holding the wrong secret posing as rank 0.
            try (Socket garbage = new Socket("127.0.0.1", l1.address().port())) {
                garbage.getOutputStream().write("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            Future<String> impostor = pool.submit(() -> {
                try (Socket s = new Socket("127.0.0.1", l1.address().port())) {
                    s.setSoTimeout(20_000);
                    new RingHandshake("the-wrong-secret-0123456789abcdef".getBytes(StandardCharsets.US_ASCII), 2)
                            .client(
                                    new DataInputStream(s.getInputStream()),
                                    new DataOutputStream(s.getOutputStream()),
                                    0,
                                    1);
                    return "accepted";
                } catch (RingHandshake.Rejected | IOException e) {
                    return "refused: " + e.getMessage();
                }
            });
            Future<TcpRingCollective> r1 =
                    pool.submit(() -> TcpRingCollective.connect(l1, 1, peers, RingGroup.SECRET, OPTIONS));
            assertTrue(impostor.get().startsWith("refused: the peer does not hold this job's secret"), impostor.get());
            try (TcpRingCollective r0 = TcpRingCollective.connect(l0, 0, peers, RingGroup.SECRET, OPTIONS);
                    TcpRingCollective one = r1.get()) {
                Future<double[]> sum1 = pool.submit(() -> one.allReduceSum(2));
                assertArrayEquals(new double[] {3}, r0.allReduceSum(1), 0);
                assertArrayEquals(new double[] {3}, sum1.get(), 0);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRankWithAnotherSecretCannotJoin() throws Exception {
        RingListener l0 = RingListener.bind("127.0.0.1");
        RingListener l1 = RingListener.bind("127.0.0.1");
        List<PeerAddress> peers = List.of(l0.address(), l1.address());
        RingOptions quick = OPTIONS.withConnectTimeout(Duration.ofSeconds(3));
        ExecutorService pool = Executors.newFixedThreadPool(1);
        try {
            Future<?> other = pool.submit(() -> TcpRingCollective.connect(
                    l1, 1, peers, "another-jobs-secret-0123456789ab".getBytes(StandardCharsets.US_ASCII), quick));
            CollectiveException e = assertThrows(
                    CollectiveException.class, () -> TcpRingCollective.connect(l0, 0, peers, RingGroup.SECRET, quick));
            assertTrue(e.getMessage().contains("rank 1"), e.getMessage());
            Exception e1 = assertThrows(Exception.class, other::get);
            assertTrue(e1.getCause() instanceof CollectiveException, String.valueOf(e1.getCause()));
            // whichever rank checks the other's proof first reports the failed authentication; the other then sees
            // its peer gone (rank 1 may close its listener before rank 0 dials it: "could not connect to rank 1")
            String both = e.getMessage() + " / " + e1.getCause().getMessage();
            assertTrue(both.contains("failed authentication"), both);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aStalledPeerTimesOutNamingIt() throws Exception {
        try (RingGroup g = RingGroup.form(2, OPTIONS.withIoTimeout(Duration.ofSeconds(1)))) {
            CollectiveException e = assertThrows(
                    CollectiveException.class, () -> g.rank(0).allReduce(Nd4j.ones(DataType.FLOAT, 100_000)));
            assertTrue(
                    e.getMessage().contains("rank 0: no progress for 1 s")
                            && e.getMessage().contains("rank 1 ("),
                    e.getMessage());
        }
    }

    @Test
    void aDeadPeerFailsTheCollectiveNamingIt() throws Exception {
        try (RingGroup g = RingGroup.form(3, OPTIONS)) {
            g.rank(2).close();
            CollectiveException e = assertThrows(
                    CollectiveException.class, () -> g.rank(0).allReduce(Nd4j.ones(DataType.FLOAT, 100_000)));
            assertTrue(e.getMessage().contains("rank 2"), e.getMessage());
        }
    }

    @Test
    void aCancelledTaskStopsWaiting() throws Exception {
        AtomicBoolean cancelled = new AtomicBoolean();
        try (RingGroup g = RingGroup.form(2, OPTIONS.withCancelled(cancelled::get))) {
            cancelled.set(true);
            CollectiveException e = assertThrows(
                    CollectiveException.class, () -> g.rank(0).allReduce(Nd4j.ones(DataType.FLOAT, 100_000)));
            assertTrue(e.getMessage().contains("cancelled"), e.getMessage());
        }
    }

    @Test
    void shardsCoverTheBufferExactlyOnce() {
        for (int n = 1; n <= 5; n++) {
            for (long len : new long[] {0, 1, 4, 7, 1001}) {
                FlatShards s = new FlatShards(len, n);
                long covered = 0;
                for (int r = 0; r < n; r++) {
                    assertEquals(covered, s.start(r), "n=" + n + " len=" + len + " rank " + r);
                    covered = s.end(r);
                }
                assertEquals(len, covered);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new FlatShards(10, 2).start(2));
    }
}
