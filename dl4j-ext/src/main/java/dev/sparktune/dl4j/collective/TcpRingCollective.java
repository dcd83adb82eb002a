package dev.sparktune.dl4j.collective;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntConsumer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CPU {@link Collective}: ranks form a ring of TCP connections (rank r → r+1), each link authenticated with
 * {@link RingHandshake}. Reduce-scatter and all-gather are the bandwidth-optimal ring algorithms (n−1 steps, each rank
 * sending 1/n of the buffer per step: 2(n−1)/n of the buffer per all-reduce). Chunks move in pieces, and the steps of
 * a collective form one pipelined stream: each received piece is reduced while the next arrives and forwarded at the
 * next step as soon as it is complete. Sends and receives read and write the ND4J buffers' native
 * memory directly (no copies, no Java arrays).
 *
 * <p>Chunk schedule (rank r, n ranks, step s = 0..n−2, chunk c = shard c of {@link FlatShards}):
 * reduce-scatter sends chunk (r−s−1) and adds the received chunk (r−s−2) in, ending with shard r complete;
 * all-gather sends chunk (r−s) and receives chunk (r−s−1), starting from shard r.
 */
public final class TcpRingCollective extends AbstractCollective {
    private static final Logger LOG = LoggerFactory.getLogger(TcpRingCollective.class);
    private final RingOptions options;
    private final RingLinks links; // null when worldSize == 1
    private INDArray scratch; // [pieceBytes / 4] receive buffer of reduce-scatter

    private TcpRingCollective(int rank, int worldSize, RingOptions options, RingLinks links) {
        super(rank, worldSize);
        this.options = options;
        this.links = links;
    }

    /**
     * Forms the ring: connects to rank+1 and accepts rank−1 on {@code listener} (both authenticated with
     * {@code secret}), within the connect timeout. Connections that fail authentication are logged and dropped while
     * the rightful peer is awaited. The listener is closed when this returns.
     *
     * @param peers every rank's listener address, indexed by rank
     */
    public static TcpRingCollective connect(
            RingListener listener, int rank, List<PeerAddress> peers, byte[] secret, RingOptions options) {
        int n = peers.size();
        if (rank < 0 || rank >= n) {
            throw new IllegalArgumentException("rank " + rank + " is outside [0, " + n + ")");
        }
        if (!peers.get(rank).equals(listener.address())) {
            throw new IllegalArgumentException("rank " + rank + " listens on " + listener.address()
                    + " but the peer list gives " + peers.get(rank));
        }
        RingHandshake handshake = new RingHandshake(secret, n);
        try (listener) {
            if (n == 1) {
                return new TcpRingCollective(rank, 1, options, null);
            }
            long deadline = System.nanoTime() + options.connectTimeout().toNanos();
            int next = (rank + 1) % n;
            int prev = (rank + n - 1) % n;
            CompletableFuture<SocketChannel> accepted = CompletableFuture.supplyAsync(
                    () -> acceptPredecessor(listener, handshake, rank, prev, deadline, options));
            SocketChannel toNext;
            try {
                toNext = connectSuccessor(peers.get(next), handshake, rank, next, deadline, options);
            } catch (RuntimeException e) {
                accepted.cancel(true);
                throw e;
            }
            SocketChannel fromPrev = await(accepted, rank, prev, peers.get(prev), deadline, toNext);
            try {
                RingLinks links = new RingLinks(
                        rank,
                        toNext,
                        next + " (" + peers.get(next) + ")",
                        fromPrev,
                        prev + " (" + peers.get(prev) + ")",
                        options);
                LOG.info(
                        "rank {}/{}: ring formed (next {} at {}, previous {} at {})",
                        rank,
                        n,
                        next,
                        peers.get(next),
                        prev,
                        peers.get(prev));
                return new TcpRingCollective(rank, n, options, links);
            } catch (IOException e) {
                closeQuietly(toNext);
                closeQuietly(fromPrev);
                throw new CollectiveException("rank " + rank + ": cannot set up the ring links", e);
            }
        }
    }

    private static SocketChannel connectSuccessor(
            PeerAddress to, RingHandshake handshake, int rank, int next, long deadline, RingOptions options) {
        IOException last = null;
        while (System.nanoTime() < deadline) {
            checkCancelled(options, rank);
            SocketChannel ch = null;
            try {
                ch = SocketChannel.open();
                Socket s = ch.socket();
                tune(s);
                s.connect(to.socketAddress(), (int) Math.max(1, Math.min(5_000, remainingMillis(deadline))));
                s.setSoTimeout((int) Math.max(1, remainingMillis(deadline)));
                handshake.client(
                        new DataInputStream(s.getInputStream()), new DataOutputStream(s.getOutputStream()), rank, next);
                s.setSoTimeout(0);
                return ch;
            } catch (RingHandshake.Rejected e) {
                closeQuietly(ch);
                throw new CollectiveException(
                        "rank " + rank + ": rank " + next + " at " + to + " failed authentication: " + e.getMessage());
            } catch (ConnectException e) {
                closeQuietly(ch);
                last = e;
                sleepQuietly(100);
            } catch (IOException e) {
                closeQuietly(ch);
                last = e;
                sleepQuietly(100);
            }
        }
        throw new CollectiveException("rank " + rank + ": could not connect to rank " + next + " at " + to + " within "
                + options.connectTimeout().toSeconds() + " s" + (last == null ? "" : " (last error: " + last + ")"));
    }

    private static SocketChannel acceptPredecessor(
            RingListener listener, RingHandshake handshake, int rank, int prev, long deadline, RingOptions options) {
        try {
            listener.channel().socket().setSoTimeout(200);
            while (System.nanoTime() < deadline) {
                checkCancelled(options, rank);
                SocketChannel ch;
                try {
                    ch = listener.channel().socket().accept().getChannel();
                } catch (SocketTimeoutException e) {
                    continue;
                }
                Socket s = ch.socket();
                try {
                    tune(s);
                    s.setSoTimeout((int) Math.max(1, Math.min(10_000, remainingMillis(deadline))));
                    handshake.server(
                            new DataInputStream(s.getInputStream()),
                            new DataOutputStream(s.getOutputStream()),
                            rank,
                            prev);
                    s.setSoTimeout(0);
                    return ch;
                } catch (RingHandshake.Rejected | IOException e) {
                    LOG.warn(
                            "rank {}: rejected a ring connection from {}: {}",
                            rank,
                            s.getRemoteSocketAddress(),
                            e.getMessage());
                    closeQuietly(ch);
                }
            }
            throw new CollectiveException("rank " + rank + ": rank " + prev + " did not connect to "
                    + listener.address() + " within " + options.connectTimeout().toSeconds() + " s");
        } catch (IOException e) {
            throw new CollectiveException("rank " + rank + ": accepting on " + listener.address() + " failed", e);
        }
    }

    private static SocketChannel await(
            CompletableFuture<SocketChannel> accepted,
            int rank,
            int prev,
            PeerAddress prevAddress,
            long deadline,
            SocketChannel toClose) {
        try {
            return accepted.get(remainingMillis(deadline) + 1_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            closeQuietly(toClose);
            if (e.getCause() instanceof CollectiveException ce) {
                throw ce;
            }
            throw new CollectiveException("rank " + rank + ": accepting rank " + prev + " failed", e.getCause());
        } catch (TimeoutException e) {
            closeQuietly(toClose);
            accepted.cancel(true);
            throw new CollectiveException(
                    "rank " + rank + ": rank " + prev + " (" + prevAddress + ") did not connect in time");
        } catch (InterruptedException e) {
            closeQuietly(toClose);
            Thread.currentThread().interrupt();
            throw new CollectiveException("rank " + rank + ": interrupted while forming the ring");
        }
    }

    private static void tune(Socket s) throws IOException {
        s.setTcpNoDelay(true);
        // socket buffers stay autotuned: fixing them (1-4 MiB) measured slower on loopback
    }

    /**
     * The all-gather schedule: at ring step s this rank sends chunk {@code ringChunk(s)} (its own at s = 0, then the
     * one it received the step before) and receives {@code ringChunk(s + 1)} from rank - 1, so after world - 1 steps
     * every chunk has gone once around the ring.
     */
    private int ringChunk(int s) {
        return Math.floorMod(rank - s, worldSize);
    }

    @Override
    public void allReduce(INDArray flat) {
        ring(flat, worldSize - 1, worldSize - 1);
    }

    @Override
    public void reduceScatter(INDArray flat) {
        ring(flat, worldSize - 1, 0);
    }

    @Override
    public void allGather(INDArray flat) {
        ring(flat, 0, worldSize - 1);
    }

    /**
     * {@code reduceSteps} ring steps of reduce-scatter then {@code gatherSteps} of all-gather, as ONE pipelined
     * stream: what a rank sends at step t is the chunk it received at step t − 1 (reduced, in reduce-scatter; the
     * last reduce-scatter step completes the rank's own shard, which is what all-gather sends first), so each piece
     * is forwarded as soon as its predecessor piece has arrived instead of after the whole step (a per-step barrier
     * that left the links idle at every step boundary, 2(n−1) times per all-reduce).
     */
    private void ring(INDArray flat, int reduceSteps, int gatherSteps) {
        FlatShards shards = shards(checkFlat(flat).length());
        if (worldSize == 1) {
            return;
        }
        int pieceFloats = options.pieceBytes() / 4;
        if (reduceSteps > 0 && scratch == null) {
            scratch = Nd4j.createUninitialized(DataType.FLOAT, pieceFloats);
        }
        List<ByteBuffer> sends = new ArrayList<>();
        List<Integer> gates = new ArrayList<>();
        List<ByteBuffer> recvs = new ArrayList<>();
        List<long[]> reduceInto = new ArrayList<>(); // per received piece: {first element, length}, or null
        int receivedBefore = 0; // receives of the steps before this one
        for (int t = 0; t < reduceSteps + gatherSteps; t++) {
            boolean reducing = t < reduceSteps;
            // reduce-scatter runs one chunk behind the all-gather schedule, so that rank r ends holding chunk r summed
            int g = reducing ? t + 1 : t - reduceSteps;
            int sendChunk = ringChunk(g);
            int recvChunk = ringChunk(g + 1);
            List<ByteBuffer> out = pieces(flat, flat.offset() + shards.start(sendChunk), shards.size(sendChunk));
            for (int p = 0; p < out.size(); p++) {
                sends.add(out.get(p));
                // step t sends what step t - 1 received, piece by piece (same chunk, same pieces)
                gates.add(t == 0 ? 0 : receivedBefore - out.size() + p + 1);
            }
            long start = shards.start(recvChunk);
            long length = shards.size(recvChunk);
            for (long p = 0; p < length; p += pieceFloats) {
                long len = Math.min(pieceFloats, length - p);
                if (reducing) {
                    recvs.add(region(scratch, scratch.offset(), len));
                    reduceInto.add(new long[] {flat.offset() + start + p, len});
                } else {
                    recvs.add(region(flat, flat.offset() + start + p, len));
                    reduceInto.add(null);
                }
            }
            receivedBefore = recvs.size();
        }
        int[] gate = gates.stream().mapToInt(Integer::intValue).toArray();
        FloatPointer sum = new FloatPointer(flat.data().pointer());
        FloatPointer add =
                scratch == null ? null : new FloatPointer(scratch.data().pointer());
        IntConsumer reduce = piece -> {
            long[] into = reduceInto.get(piece);
            if (into != null) {
                NativeFloatSum.addInto(sum, into[0], add, scratch.offset(), into[1]);
            }
        };
        links.exchange(sends, gate, recvs, reduce);
    }

    @Override
    public void broadcast(INDArray flat, int root) {
        checkFlat(flat);
        if (root < 0 || root >= worldSize) {
            throw new IllegalArgumentException("broadcast root " + root + " is outside [0, " + worldSize + ")");
        }
        if (worldSize == 1) {
            return;
        }
        // A pipelined chain root → root+1 → … → root−1: each rank forwards piece i once it has received it.
        int position = Math.floorMod(rank - root, worldSize);
        List<ByteBuffer> all = pieces(flat, flat.offset(), flat.length());
        List<ByteBuffer> recvs = position == 0 ? List.of() : all;
        List<ByteBuffer> sends = new ArrayList<>();
        int[] gate = new int[position == worldSize - 1 ? 0 : all.size()];
        for (int i = 0; i < gate.length; i++) {
            sends.add(all.get(i).duplicate());
            gate[i] = position == 0 ? 0 : i + 1;
        }
        links.exchange(sends, gate, recvs, piece -> {});
    }

    @Override
    public double[] allReduceSum(double... values) {
        if (worldSize == 1) {
            return values.clone();
        }
        int k = values.length;
        ByteBuffer all = ByteBuffer.allocateDirect(worldSize * k * 8).order(ByteOrder.nativeOrder());
        for (int i = 0; i < k; i++) {
            all.putDouble((rank * k + i) * 8, values[i]);
        }
        for (int s = 0; s < worldSize - 1; s++) {
            int sendSlot = ringChunk(s);
            int recvSlot = ringChunk(s + 1);
            links.exchange(
                    List.of(all.slice(sendSlot * k * 8, k * 8)),
                    new int[1],
                    List.of(all.slice(recvSlot * k * 8, k * 8)),
                    piece -> {});
        }
        double[] sum = new double[k];
        for (int r = 0; r < worldSize; r++) {
            for (int i = 0; i < k; i++) {
                sum[i] += all.getDouble((r * k + i) * 8);
            }
        }
        return sum;
    }

    @Override
    public void barrier() {
        allReduceSum(1.0);
    }

    @Override
    public long bytesMoved() {
        return links == null ? 0 : links.bytesMoved();
    }

    @Override
    public void close() {
        if (links != null) {
            links.close();
        }
        if (scratch != null) {
            scratch.close();
            scratch = null;
        }
    }

    /**
     * A byte view of elements [first, first + count) of the native buffer behind {@code arr} (element indices of the
     * buffer, i.e. including the array's offset). Made per piece, so buffers above 2 GiB work too.
     */
    private static ByteBuffer region(INDArray arr, long firstElement, long elements) {
        // a pointer AT the region: a position beyond 2 GiB overflows the int capacity of the NIO buffer made from it
        BytePointer p = new BytePointer(arr.data().pointer()).getPointer(firstElement * 4);
        return p.capacity(elements * 4).limit(elements * 4).asByteBuffer();
    }

    /** {@link #region}s of at most one piece each covering elements [first, first + count) of {@code arr}'s buffer. */
    private List<ByteBuffer> pieces(INDArray arr, long firstElement, long elements) {
        int pieceFloats = options.pieceBytes() / 4;
        List<ByteBuffer> out = new ArrayList<>();
        for (long p = 0; p < elements; p += pieceFloats) {
            out.add(region(arr, firstElement + p, Math.min(pieceFloats, elements - p)));
        }
        return out;
    }

    private static void checkCancelled(RingOptions options, int rank) {
        if (options.cancelled().getAsBoolean() || Thread.currentThread().isInterrupted()) {
            throw new CollectiveException("rank " + rank + ": cancelled while forming the ring (the task was killed)");
        }
    }

    private static long remainingMillis(long deadlineNanos) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort while failing with the real error
            }
        }
    }
}
