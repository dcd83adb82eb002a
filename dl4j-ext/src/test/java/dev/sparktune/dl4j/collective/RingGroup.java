package dev.sparktune.dl4j.collective;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/** n ranks of a {@link TcpRingCollective} on 127.0.0.1 inside one JVM, one thread per rank (test fixture). */
final class RingGroup implements AutoCloseable {
    static final byte[] SECRET = "test-job-secret-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    final List<TcpRingCollective> ranks;
    private final ExecutorService pool;

    private RingGroup(List<TcpRingCollective> ranks, ExecutorService pool) {
        this.ranks = ranks;
        this.pool = pool;
    }

    static RingGroup form(int n, RingOptions options) throws Exception {
        List<RingListener> listeners = new ArrayList<>();
        List<PeerAddress> peers = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            RingListener l = RingListener.bind("127.0.0.1");
            listeners.add(l);
            peers.add(l.address());
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<Future<TcpRingCollective>> futures = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            int rank = r;
            futures.add(
                    pool.submit(() -> TcpRingCollective.connect(listeners.get(rank), rank, peers, SECRET, options)));
        }
        List<TcpRingCollective> out = new ArrayList<>();
        for (Future<TcpRingCollective> f : futures) {
            out.add(f.get());
        }
        return new RingGroup(out, pool);
    }

    /** Runs {@code body(rank)} on every rank concurrently; rethrows the first failure. */
    <T> List<T> run(IntFunction<Callable<T>> body) throws Exception {
        List<Future<T>> futures = new ArrayList<>();
        for (int r = 0; r < ranks.size(); r++) {
            futures.add(pool.submit(body.apply(r)));
        }
        List<T> out = new ArrayList<>();
        for (Future<T> f : futures) {
            try {
                out.add(f.get());
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception ex) {
                    throw ex;
                }
                throw e;
            }
        }
        return out;
    }

    @Override
    public void close() {
        for (TcpRingCollective c : ranks) {
            try {
                c.close();
            } catch (RuntimeException ignored) {
                // a test may have broken the links on purpose
            }
        }
        pool.shutdownNow();
    }
}
