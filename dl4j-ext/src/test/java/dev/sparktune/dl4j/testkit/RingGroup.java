package dev.sparktune.dl4j.testkit;

import dev.sparktune.dl4j.collective.PeerAddress;
import dev.sparktune.dl4j.collective.RingListener;
import dev.sparktune.dl4j.collective.RingOptions;
import dev.sparktune.dl4j.collective.TcpRingCollective;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/**
 * n ranks of a {@link TcpRingCollective} on 127.0.0.1 inside one JVM, one thread per rank (test fixture): the
 * collective's own tests and the trainer's, which train on ranks run as threads.
 */
public final class RingGroup implements AutoCloseable {
    public static final byte[] SECRET = "test-job-secret-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private final List<TcpRingCollective> ranks;
    private final ExecutorService pool;

    private RingGroup(List<TcpRingCollective> ranks, ExecutorService pool) {
        this.ranks = ranks;
        this.pool = pool;
    }

    /** Binds n listeners and connects the ring, each rank on its own thread. */
    public static RingGroup form(int n, RingOptions options) throws Exception {
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
    public <T> List<T> run(IntFunction<Callable<T>> body) throws Exception {
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

    /** Rank {@code r}'s end of the ring. */
    public TcpRingCollective rank(int r) {
        return ranks.get(r);
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
