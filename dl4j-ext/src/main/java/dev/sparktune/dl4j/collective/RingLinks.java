package dev.sparktune.dl4j.collective;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * The two authenticated links of one rank in the ring (to its successor, from its predecessor), in non-blocking mode.
 * A dedicated sender thread writes to the successor while the calling thread reads from the predecessor and reduces,
 * so the two kernel copies and the reduction of a step run in parallel (one thread doing all three was 20-30% slower
 * than gloo on loopback). Every wait is bounded by the I/O timeout and polls for cancellation.
 */
final class RingLinks implements AutoCloseable {
    private static final long POLL_MILLIS = 200;
    private final int rank;
    private final SocketChannel toNext;
    private final SocketChannel fromPrev;
    private final String nextName;
    private final String prevName;
    private final RingOptions options;
    private final Selector readSelector;
    private final Selector writeSelector;
    private final ExecutorService sender;
    private final AtomicLong bytesMoved = new AtomicLong();

    RingLinks(
            int rank,
            SocketChannel toNext,
            String nextName,
            SocketChannel fromPrev,
            String prevName,
            RingOptions options)
            throws IOException {
        this.rank = rank;
        this.toNext = toNext;
        this.fromPrev = fromPrev;
        this.nextName = nextName;
        this.prevName = prevName;
        this.options = options;
        toNext.configureBlocking(false);
        fromPrev.configureBlocking(false);
        this.readSelector = Selector.open();
        this.writeSelector = Selector.open();
        fromPrev.register(readSelector, SelectionKey.OP_READ);
        toNext.register(writeSelector, SelectionKey.OP_WRITE);
        this.sender = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sparktune-ring-sender-rank-" + rank);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Sends {@code sends} in order to the successor while receiving {@code recvs} in order from the predecessor.
     * Send i starts only after {@code sendGate[i]} receives are complete (a ring step forwards what the step before
     * received, a broadcast what it got);
     * {@code onReceived} runs on the calling thread as each receive completes (a reduce-scatter adds the piece in).
     */
    void exchange(List<ByteBuffer> sends, int[] sendGate, List<ByteBuffer> recvs, IntConsumer onReceived) {
        AtomicInteger received = new AtomicInteger();
        Future<?> sending = sends.isEmpty()
                ? CompletableFuture.completedFuture(null)
                : sender.submit(() -> {
                    send(sends, sendGate, received);
                    return null;
                });
        try {
            receive(recvs, received, onReceived, sending);
            awaitSender(sending);
        } catch (RuntimeException e) {
            sending.cancel(true);
            throw e;
        }
    }

    private void receive(List<ByteBuffer> recvs, AtomicInteger received, IntConsumer onReceived, Future<?> sending) {
        long lastProgress = System.nanoTime();
        try {
            for (int ri = 0; ri < recvs.size(); ri++) {
                ByteBuffer buf = recvs.get(ri);
                while (buf.hasRemaining()) {
                    int n = fromPrev.read(buf);
                    if (n < 0) {
                        throw new CollectiveException("rank " + rank + ": the connection from rank " + prevName
                                + " closed in the middle of a collective (that rank failed or was killed)");
                    }
                    if (n > 0) {
                        bytesMoved.addAndGet(n);
                        lastProgress = System.nanoTime();
                        continue;
                    }
                    if (sending.isDone()) {
                        awaitSender(sending); // rethrows a send failure instead of waiting for data that won't come
                    }
                    readSelector.select(POLL_MILLIS);
                    readSelector.selectedKeys().clear();
                    checkWaiting(lastProgress, "waiting for data from rank " + prevName);
                }
                onReceived.accept(ri);
                synchronized (received) {
                    received.set(ri + 1);
                    received.notifyAll(); // a gated send waits for this piece
                }
            }
        } catch (IOException e) {
            throw new CollectiveException(
                    "rank " + rank + ": receiving from rank " + prevName + " failed: " + e.getMessage(), e);
        }
    }

    private void send(List<ByteBuffer> sends, int[] sendGate, AtomicInteger received) throws IOException {
        long lastProgress = System.nanoTime();
        for (int si = 0; si < sends.size(); si++) {
            synchronized (received) {
                // the receiving thread has its own timeout and cancellation checks
                while (received.get() < sendGate[si]) {
                    try {
                        received.wait(POLL_MILLIS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
            ByteBuffer buf = sends.get(si);
            while (buf.hasRemaining()) {
                int n = toNext.write(buf);
                if (n > 0) {
                    bytesMoved.addAndGet(n);
                    lastProgress = System.nanoTime();
                    continue;
                }
                writeSelector.select(POLL_MILLIS);
                writeSelector.selectedKeys().clear();
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
                checkWaiting(lastProgress, "sending to rank " + nextName);
            }
        }
    }

    private void awaitSender(Future<?> sending) {
        long lastCheck = System.nanoTime();
        while (true) {
            try {
                sending.get(POLL_MILLIS, TimeUnit.MILLISECONDS);
                return;
            } catch (TimeoutException e) {
                checkWaiting(lastCheck, "sending to rank " + nextName);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof CollectiveException ce) {
                    throw ce;
                }
                throw new CollectiveException(
                        "rank " + rank + ": sending to rank " + nextName + " failed: "
                                + e.getCause().getMessage(),
                        e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CollectiveException("rank " + rank + ": collective cancelled (the task was killed)");
            }
        }
    }

    private void checkWaiting(long lastProgressNanos, String what) {
        if (options.cancelled().getAsBoolean() || Thread.currentThread().isInterrupted()) {
            throw new CollectiveException("rank " + rank + ": collective cancelled (the task was killed)");
        }
        if (System.nanoTime() - lastProgressNanos > options.ioTimeout().toNanos()) {
            throw new CollectiveException("rank " + rank + ": no progress for "
                    + options.ioTimeout().toSeconds() + " s " + what + " (that rank is stalled, dead or unreachable)");
        }
    }

    long bytesMoved() {
        return bytesMoved.get();
    }

    @Override
    public void close() {
        sender.shutdownNow();
        IOException first = null;
        for (AutoCloseable c : new AutoCloseable[] {readSelector, writeSelector, toNext, fromPrev}) {
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof IOException io ? io : new IOException(e);
                }
            }
        }
        if (first != null) {
            throw new CollectiveException("rank " + rank + ": closing the ring links failed", first);
        }
    }
}
