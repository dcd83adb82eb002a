/*
 * Compile-checked only: this class is built with -Pcuda against nd4j-cuda-11.6 1.0.0-M2.1 and
 * org.bytedeco:cuda 11.6-8.3-1.5.7 (NCCL 2.11.4 bindings), but it has never been executed. No GPU was available
 * when it was written (and the GPU machines lent to this project carry CUDA 13, which nd4j-cuda-11.6 cannot load):
 * every NCCL, CUDA and ND4J-CUDA call below is checked against javap signatures only. At run time the JNI wrapper
 * links libnccl.so.2, which must be on the library path (system NCCL or a JavaCPP redist jar; neither was tried).
 * Run a two-GPU smoke test of every operation (including views at an offset and lengths not divisible by the world
 * size) before relying on it.
 */
package dev.sparktune.dl4j.collective;

import static org.bytedeco.cuda.global.cudart.cudaErrorNotReady;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemsetAsync;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreateWithFlags;
import static org.bytedeco.cuda.global.cudart.cudaStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cudaStreamNonBlocking;
import static org.bytedeco.cuda.global.cudart.cudaStreamQuery;
import static org.bytedeco.cuda.global.cudart.cudaSuccess;
import static org.bytedeco.cuda.global.nccl.NCCL_UNIQUE_ID_BYTES;
import static org.bytedeco.cuda.global.nccl.ncclAllGather;
import static org.bytedeco.cuda.global.nccl.ncclAllReduce;
import static org.bytedeco.cuda.global.nccl.ncclBroadcast;
import static org.bytedeco.cuda.global.nccl.ncclCommAbort;
import static org.bytedeco.cuda.global.nccl.ncclCommDestroy;
import static org.bytedeco.cuda.global.nccl.ncclCommGetAsyncError;
import static org.bytedeco.cuda.global.nccl.ncclCommInitRank;
import static org.bytedeco.cuda.global.nccl.ncclDouble;
import static org.bytedeco.cuda.global.nccl.ncclFloat;
import static org.bytedeco.cuda.global.nccl.ncclGetErrorString;
import static org.bytedeco.cuda.global.nccl.ncclGetUniqueId;
import static org.bytedeco.cuda.global.nccl.ncclReduceScatter;
import static org.bytedeco.cuda.global.nccl.ncclSuccess;
import static org.bytedeco.cuda.global.nccl.ncclSum;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongToIntFunction;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.cuda.nccl.ncclUniqueId;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.jita.allocator.impl.AtomicAllocator;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.jcublas.context.CudaContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GPU {@link Collective} (profile {@code cuda} only): NCCL collectives on ND4J CUDA FLOAT buffers, one rank per
 * GPU, each rank on the CUDA device ND4J binds to the creating thread.
 *
 * <p>Rendezvous, as the trainer does it in a Spark barrier task: rank 0 calls {@link #newUniqueId()} in its own task
 * (the id names a bootstrap socket that rank 0's process serves, so that process must live until every rank has
 * joined), every rank passes its bytes to {@code BarrierTaskContext.allGather} (base64, since allGather carries
 * strings), takes rank 0's entry and calls {@link #create(int, int, byte[])}. Unlike the TCP ring, NCCL's bootstrap
 * and transport connections are not authenticated: anyone on the cluster network who learns the id can join. NCCL
 * chooses its network interface itself ({@code NCCL_SOCKET_IFNAME} overrides it); two ranks on one GPU fail in init.
 *
 * <p>Each call makes ND4J's pending work on this thread visible first (it commits the thread's ND4J streams and
 * brings the buffer to the device), runs on a dedicated CUDA stream, and returns once that stream has finished, with
 * the buffer marked as written on the device. Every wait polls: a collective that takes longer than
 * {@link Options#opTimeout()}, a task that is cancelled, or an asynchronous NCCL error aborts the communicator
 * ({@code ncclCommAbort}) and throws {@link CollectiveException}; the instance is unusable afterwards.
 *
 * <p>NCCL needs equal counts per rank, {@link FlatShards} does not: when the length is not a multiple of the world
 * size, {@link #reduceScatter} and {@link #allGather} stage the buffer in a device scratch buffer padded to
 * {@code shardSize × worldSize}. After {@link #reduceScatter} only this rank's shard of the buffer is defined; the rest
 * holds NCCL's in-place leftovers or this rank's own input. {@link #allReduceSum} all-gathers the doubles and adds
 * them on the host in rank order, so every rank gets the same bits as from {@link TcpRingCollective}.
 *
 * <p>Not thread-safe: one task thread makes all calls, as with every {@link Collective}.
 */
public final class NcclCollective extends AbstractCollective {
    private static final Logger LOG = LoggerFactory.getLogger(NcclCollective.class);
    private static final long SPIN_NANOS = 50_000;
    private static final long PARK_NANOS = 20_000;

    private enum State {
        OPEN,
        ABORTED,
        CLOSED
    }

    private final int device;
    private final Options options;
    private final ncclComm comm;
    private final CUstream_st stream;
    private final AtomicLong bytesMoved = new AtomicLong();
    private State state = State.OPEN;
    private Pointer scratch; // device memory: padded staging, allReduceSum's gathered doubles, the barrier's float
    private long scratchBytes;

    private NcclCollective(int rank, int worldSize, int device, Options options, ncclComm comm, CUstream_st stream) {
        super(rank, worldSize);
        this.device = device;
        this.options = options;
        this.comm = comm;
        this.stream = stream;
    }

    /**
     * Settings of an {@link NcclCollective}.
     *
     * @param initTimeout how long {@code ncclCommInitRank} may wait for every rank to join
     * @param opTimeout   how long one collective may take before the communicator is aborted
     * @param cancelled   polled while waiting (Spark's {@code TaskContext.isInterrupted}), so a killed task never
     *                    hangs in a collective
     */
    public record Options(Duration initTimeout, Duration opTimeout, BooleanSupplier cancelled) {
        public Options {
            if (initTimeout == null || initTimeout.isNegative() || initTimeout.isZero()) {
                throw new IllegalArgumentException("init timeout must be > 0, got " + initTimeout);
            }
            if (opTimeout == null || opTimeout.isNegative() || opTimeout.isZero()) {
                throw new IllegalArgumentException("collective timeout must be > 0, got " + opTimeout);
            }
            if (cancelled == null) {
                throw new IllegalArgumentException("cancelled must be non-null (use () -> false)");
            }
        }

        /** 2 minutes to join, 5 minutes per collective, never cancelled (the TCP ring's defaults). */
        public static Options defaults() {
            return new Options(Duration.ofMinutes(2), Duration.ofMinutes(5), () -> false);
        }

        public Options withInitTimeout(Duration d) {
            return new Options(d, opTimeout, cancelled);
        }

        public Options withOpTimeout(Duration d) {
            return new Options(initTimeout, d, cancelled);
        }

        public Options withCancelled(BooleanSupplier c) {
            return new Options(initTimeout, opTimeout, c);
        }
    }

    /**
     * A fresh NCCL unique id ({@code ncclGetUniqueId}), {@code NCCL_UNIQUE_ID_BYTES} (128) bytes, for rank 0 to share
     * with every rank through {@code BarrierTaskContext.allGather}. Call it in rank 0's own task: the id's bootstrap
     * root is served by the calling process.
     */
    public static byte[] newUniqueId() {
        ncclUniqueId id = new ncclUniqueId();
        try {
            int result = ncclGetUniqueId(id);
            if (result != ncclSuccess) {
                throw new CollectiveException("rank 0: NCCL ncclGetUniqueId failed: " + ncclError(result));
            }
            byte[] bytes = new byte[NCCL_UNIQUE_ID_BYTES];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = id.internal(i);
            }
            return bytes;
        } finally {
            id.close();
        }
    }

    /** {@link #create(int, int, byte[], Options)} with {@link Options#defaults()}. */
    public static NcclCollective create(int rank, int worldSize, byte[] uniqueId) {
        return create(rank, worldSize, uniqueId, Options.defaults());
    }

    /**
     * Joins the communicator named by rank 0's {@code uniqueId} (from {@link #newUniqueId()}) as {@code rank} of
     * {@code worldSize}, on the CUDA device ND4J binds to the calling thread. Blocks until every rank has joined, at
     * most {@link Options#initTimeout()}.
     */
    public static NcclCollective create(int rank, int worldSize, byte[] uniqueId, Options options) {
        if (worldSize < 1) {
            throw new IllegalArgumentException("world size must be >= 1, got " + worldSize);
        }
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank " + rank + " is outside [0, " + worldSize + ")");
        }
        if (uniqueId == null || uniqueId.length != NCCL_UNIQUE_ID_BYTES) {
            throw new IllegalArgumentException("an NCCL unique id has " + NCCL_UNIQUE_ID_BYTES + " bytes, got "
                    + (uniqueId == null ? "null" : uniqueId.length) + " (pass rank 0's NcclCollective.newUniqueId())");
        }
        if (options == null) {
            throw new IllegalArgumentException("options must be non-null (use NcclCollective.Options.defaults())");
        }
        int device = Nd4j.getAffinityManager().getDeviceForCurrentThread();
        cudaCall(rank, "create", "cudaSetDevice(" + device + ")", cudaSetDevice(device));
        CUstream_st stream = new CUstream_st();
        cudaCall(rank, "create", "cudaStreamCreateWithFlags", cudaStreamCreateWithFlags(stream, cudaStreamNonBlocking));
        try {
            ncclComm comm = initComm(rank, worldSize, device, uniqueId, options);
            LOG.info("rank {}/{}: NCCL communicator formed on CUDA device {}", rank, worldSize, device);
            return new NcclCollective(rank, worldSize, device, options, comm, stream);
        } catch (RuntimeException e) {
            int destroyed = cudaStreamDestroy(stream);
            if (destroyed != cudaSuccess) {
                e.addSuppressed(new CollectiveException(
                        "rank " + rank + ": cudaStreamDestroy failed: " + cudaError(destroyed)));
            }
            throw e;
        }
    }

    /**
     * {@code ncclCommInitRank} on a helper thread, so the caller can give up after the init timeout or on
     * cancellation (NCCL 2.11 has no non-blocking init). A helper still blocked then stays blocked in native code; if
     * its init succeeds later it destroys the communicator nobody will use.
     */
    private static ncclComm initComm(int rank, int worldSize, int device, byte[] uniqueId, Options options) {
        ncclUniqueId id = new ncclUniqueId();
        for (int i = 0; i < uniqueId.length; i++) {
            id.internal(i, uniqueId[i]);
        }
        ncclComm comm = new ncclComm();
        CompletableFuture<ncclComm> joined = new CompletableFuture<>();
        Thread helper = new Thread(
                () -> {
                    try {
                        cudaCall(rank, "create", "cudaSetDevice(" + device + ")", cudaSetDevice(device));
                        int result = ncclCommInitRank(comm, worldSize, id, rank);
                        if (result != ncclSuccess) {
                            joined.completeExceptionally(new CollectiveException("rank " + rank + ": NCCL create "
                                    + "(ncclCommInitRank, " + worldSize + " ranks) failed: " + ncclError(result)));
                        } else if (!joined.complete(comm)) {
                            ncclCommDestroy(comm); // the caller gave up waiting: this communicator has no owner
                        }
                    } catch (RuntimeException | Error e) {
                        joined.completeExceptionally(e);
                    }
                },
                "nccl-init-rank-" + rank);
        helper.setDaemon(true);
        helper.start();
        long deadline = System.nanoTime() + options.initTimeout().toNanos();
        while (!joined.isDone()) {
            String why =
                    options.cancelled().getAsBoolean() || Thread.currentThread().isInterrupted()
                            ? "cancelled while waiting for the other ranks to join NCCL (the task was killed)"
                            : System.nanoTime() > deadline
                                    ? "not all " + worldSize + " ranks joined NCCL within "
                                            + options.initTimeout().toSeconds() + " s"
                                    : null;
            if (why != null) {
                joined.completeExceptionally(new CollectiveException("rank " + rank + ": " + why));
                break; // unless the helper completed first: then its result wins below
            }
            LockSupport.parkNanos(10_000_000L);
        }
        try {
            return joined.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof CollectiveException ce) {
                throw ce;
            }
            throw new CollectiveException("rank " + rank + ": NCCL create failed", e.getCause());
        }
    }

    /**
     * {@code ncclAllReduce} in place. NCCL's ring and tree algorithms both reduce each element once and copy the
     * result, which gives the bit-identical results the {@link Collective} contract asks for (not verified here).
     */
    @Override
    public void allReduce(INDArray flat) {
        long length = checkFlat(flat).length();
        inPlace(
                flat,
                "allReduce",
                "ncclAllReduce",
                buffer -> ncclAllReduce(at(buffer), at(buffer), length, ncclFloat, ncclSum, comm, stream));
        bytesMoved.addAndGet(2 * ringBytes(length * Float.BYTES));
    }

    @Override
    public void reduceScatter(INDArray flat) {
        String op = "reduceScatter";
        sharded(flat, op, b -> {
            long length = b.shards().length();
            if (b.staged()) {
                copyOnDevice(op, b.work(), b.buffer(), bytes(length));
                // zeros in the padding: it is reduced too (into shard tails nobody reads),
                // and fresh memory may hold NaNs
                cuda(
                        op,
                        "cudaMemsetAsync",
                        cudaMemsetAsync(at(b.work() + bytes(length)), 0, bytes(b.padded() - length), stream));
            }
            // in place: NCCL's recvbuff = sendbuff + rank · recvcount
            nccl(
                    op,
                    "ncclReduceScatter",
                    ncclReduceScatter(at(b.work()), at(b.ownSlot(rank)), b.shard(), ncclFloat, ncclSum, comm, stream));
            if (b.staged()) {
                copyOnDevice(
                        op,
                        b.buffer() + bytes(b.shards().start(rank)),
                        b.ownSlot(rank),
                        bytes(b.shards().size(rank)));
            }
        });
    }

    @Override
    public void allGather(INDArray flat) {
        String op = "allGather";
        sharded(flat, op, b -> {
            if (b.staged()) {
                copyOnDevice(
                        op,
                        b.ownSlot(rank),
                        b.buffer() + bytes(b.shards().start(rank)),
                        bytes(b.shards().size(rank)));
            }
            // in place: NCCL's sendbuff = recvbuff + rank · sendcount;
            // staged, the padding past `length` travels unread
            nccl(
                    op,
                    "ncclAllGather",
                    ncclAllGather(at(b.ownSlot(rank)), at(b.work()), b.shard(), ncclFloat, comm, stream));
            if (b.staged()) {
                copyOnDevice(op, b.buffer(), b.work(), bytes(b.shards().length()));
            }
        });
    }

    /**
     * A reduce-scatter or all-gather of {@code flat}: {@code body} stages the shards and calls NCCL between
     * {@link #beginSharded} and {@link #finish}; the ring moves the padded buffer once. Nothing for an empty buffer.
     */
    private void sharded(INDArray flat, String op, Consumer<ShardedBuffers> body) {
        ShardedBuffers b = beginSharded(flat, op);
        if (b == null) {
            return;
        }
        body.accept(b);
        finish(flat, op);
        bytesMoved.addAndGet(ringBytes(bytes(b.padded())));
    }

    /**
     * The device memory of a reduce-scatter or all-gather. NCCL takes equal counts of {@link #shard()} elements per
     * rank: where they tile the buffer it works on the buffer itself ({@code work == buffer}), else on scratch
     * padded to {@link #padded()} elements, staged from and back to the buffer.
     */
    private record ShardedBuffers(FlatShards shards, long buffer, long work) {
        long shard() {
            return shards.shardSize();
        }

        long padded() {
            return shard() * shards.worldSize();
        }

        boolean staged() {
            return work != buffer;
        }

        /** The address of {@code rank}'s slot of {@link #shard()} elements in NCCL's layout. */
        long ownSlot(int rank) {
            return work + bytes(rank * shard());
        }
    }

    /** Makes {@code flat} ready for a sharded NCCL call ({@link #begin}); null when it is empty (nothing to do). */
    private ShardedBuffers beginSharded(INDArray flat, String op) {
        FlatShards shards = shards(checkFlat(flat).length());
        if (shards.length() == 0) {
            return null;
        }
        long buffer = begin(flat, op);
        long padded = shards.shardSize() * worldSize;
        return new ShardedBuffers(shards, buffer, padded == shards.length() ? buffer : scratch(bytes(padded), op));
    }

    /** Copies {@code bytes} on our stream from device address {@code from} to {@code to}; nothing when 0. */
    private void copyOnDevice(String op, long to, long from, long bytes) {
        if (bytes > 0) {
            cuda(op, "cudaMemcpyAsync", cudaMemcpyAsync(at(to), at(from), bytes, cudaMemcpyDeviceToDevice, stream));
        }
    }

    @Override
    public void broadcast(INDArray flat, int root) {
        long length = checkFlat(flat).length();
        if (root < 0 || root >= worldSize) {
            throw new IllegalArgumentException("broadcast root " + root + " is outside [0, " + worldSize + ")");
        }
        inPlace(
                flat,
                "broadcast",
                "ncclBroadcast",
                buffer -> ncclBroadcast(at(buffer), at(buffer), length, ncclFloat, root, comm, stream));
        if (worldSize > 1) {
            // the pipelined chain root → root+1 → … → root−1: the ends move the buffer once, the middle twice
            int position = Math.floorMod(rank - root, worldSize);
            bytesMoved.addAndGet(bytes(length) * (position == 0 || position == worldSize - 1 ? 1 : 2));
        }
    }

    @Override
    public double[] allReduceSum(double... values) {
        int k = values.length;
        if (k == 0) {
            return new double[0];
        }
        String op = "allReduceSum";
        enter(op);
        long slot = (long) k * Double.BYTES;
        long gathered = scratch(slot * worldSize, op);
        double[] all = new double[k * worldSize];
        try (DoublePointer host = new DoublePointer((long) k * worldSize)) {
            host.put(values);
            cuda(
                    op,
                    "cudaMemcpyAsync",
                    cudaMemcpyAsync(at(gathered + rank * slot), host, slot, cudaMemcpyHostToDevice, stream));
            nccl(
                    op,
                    "ncclAllGather",
                    ncclAllGather(at(gathered + rank * slot), at(gathered), k, ncclDouble, comm, stream));
            awaitStream(op); // before the copy to pageable memory, which would block without a timeout
            cuda(
                    op,
                    "cudaMemcpyAsync",
                    cudaMemcpyAsync(host, at(gathered), slot * worldSize, cudaMemcpyDeviceToHost, stream));
            awaitStream(op);
            host.get(all);
        }
        double[] sum = new double[k];
        for (int r = 0; r < worldSize; r++) {
            for (int i = 0; i < k; i++) {
                sum[i] += all[r * k + i];
            }
        }
        bytesMoved.addAndGet(ringBytes(slot * worldSize));
        return sum;
    }

    @Override
    public void barrier() {
        String op = "barrier";
        enter(op);
        long one = scratch(Float.BYTES, op);
        cuda(op, "cudaMemsetAsync", cudaMemsetAsync(at(one), 0, Float.BYTES, stream));
        // an all-reduce cannot complete on any rank before every rank has contributed
        nccl(op, "ncclAllReduce", ncclAllReduce(at(one), at(one), 1, ncclFloat, ncclSum, comm, stream));
        awaitStream(op);
        bytesMoved.addAndGet(2 * ringBytes(Float.BYTES));
    }

    /**
     * Bytes this rank sent and received so far, as the ring algorithms would move them (2(n−1)/n of the buffer per
     * reduce-scatter or all-gather, in each direction; padding included): NCCL's actual traffic (tree, NVLink) is not
     * observable from here, so this is a model comparable with {@link TcpRingCollective#bytesMoved()}.
     */
    @Override
    public long bytesMoved() {
        return bytesMoved.get();
    }

    /** Destroys the communicator (unless an error already aborted it), the stream and the scratch memory. */
    @Override
    public void close() {
        if (state == State.CLOSED) {
            return;
        }
        CollectiveException failure = null;
        int set = cudaSetDevice(device);
        if (set != cudaSuccess) {
            failure = collect(failure, "cudaSetDevice(" + device + ")", cudaError(set));
        }
        if (state == State.OPEN) {
            int destroyed = ncclCommDestroy(comm);
            if (destroyed != ncclSuccess) {
                failure = collect(failure, "ncclCommDestroy", ncclError(destroyed));
            }
        }
        int streamDestroyed = cudaStreamDestroy(stream);
        if (streamDestroyed != cudaSuccess) {
            failure = collect(failure, "cudaStreamDestroy", cudaError(streamDestroyed));
        }
        if (scratch != null) {
            int freed = cudaFree(scratch);
            if (freed != cudaSuccess) {
                failure = collect(failure, "cudaFree", cudaError(freed));
            }
            scratch = null;
            scratchBytes = 0;
        }
        state = State.CLOSED;
        if (failure != null) {
            throw failure;
        }
    }

    private CollectiveException collect(CollectiveException failure, String call, String error) {
        CollectiveException e =
                new CollectiveException("rank " + rank + ": NCCL close (" + call + ") failed: " + error);
        if (failure == null) {
            return e;
        }
        failure.addSuppressed(e);
        return failure;
    }

    /** Refuses a closed or aborted communicator, then puts this thread on our device. */
    private void enter(String op) {
        ensureOpen(op);
        cuda(op, "cudaSetDevice", cudaSetDevice(device));
    }

    /**
     * An NCCL collective on {@code flat}'s device buffer in place, between {@link #begin} and {@link #finish}:
     * {@code onBuffer} calls NCCL's {@code function} with the buffer's address and returns its result. Nothing for an
     * empty buffer.
     */
    private void inPlace(INDArray flat, String op, String function, LongToIntFunction onBuffer) {
        if (flat.length() == 0) {
            return;
        }
        long buffer = begin(flat, op);
        nccl(op, function, onBuffer.applyAsInt(buffer));
        finish(flat, op);
    }

    /**
     * Makes {@code flat} safe to hand to NCCL on our stream and returns its device address: ND4J's queued kernels on
     * this thread are finished (their stream order relative to ours is unknown) and the device copy is current.
     */
    private long begin(INDArray flat, String op) {
        enter(op);
        Nd4j.getAffinityManager().ensureLocation(flat, AffinityManager.Location.DEVICE);
        Nd4j.getExecutioner().commit();
        return deviceAddress(flat, op);
    }

    /** Waits for our stream, then tells ND4J that the device copy of {@code flat} is the newest. */
    private void finish(INDArray flat, String op) {
        awaitStream(op);
        AtomicAllocator.getInstance().tickDeviceWrite(flat);
    }

    /**
     * The device address of {@code flat}'s first element. For a view, libnd4j builds disagree on whether the view's
     * own device pointer already includes its offset (InteropDataBuffer::special); the root buffer's pointer plus
     * {@code offset()} (absolute in elements, as measured on the CPU backend) is right either way.
     */
    private long deviceAddress(INDArray flat, String op) {
        AtomicAllocator allocator = AtomicAllocator.getInstance();
        CudaContext context = allocator.getDeviceContext();
        Pointer own = allocator.getPointer(flat, context);
        if (own == null || own.address() == 0) {
            throw abort(op, "the buffer has no device memory (ND4J returned no device pointer)");
        }
        DataBuffer root = flat.data().originalDataBuffer();
        if (root == null || root == flat.data() || flat.offset() == 0) {
            return own.address();
        }
        Pointer rootPointer = allocator.getPointer(root, context);
        long rootAddress = rootPointer == null ? 0 : rootPointer.address();
        long expected = rootAddress + bytes(flat.offset());
        if (rootAddress != 0 && (own.address() == expected || own.address() == rootAddress)) {
            return expected;
        }
        throw abort(
                op,
                "cannot locate the view at offset " + flat.offset() + " on the device (view pointer "
                        + Long.toHexString(own.address()) + ", root pointer " + Long.toHexString(rootAddress) + ")");
    }

    /**
     * Polls our stream until it is done, the op timeout passes, the task is cancelled or NCCL reports an asynchronous
     * error; all but the first abort the communicator (the ranks are out of step from then on).
     */
    private void awaitStream(String op) {
        long start = System.nanoTime();
        long deadline = start + options.opTimeout().toNanos();
        int[] asyncError = new int[1];
        while (true) {
            int query = cudaStreamQuery(stream);
            if (query == cudaSuccess) {
                return;
            }
            if (query != cudaErrorNotReady) {
                throw abort(op, "the CUDA stream failed: " + cudaError(query));
            }
            int polled = ncclCommGetAsyncError(comm, asyncError);
            if (polled != ncclSuccess) {
                throw abort(op, "ncclCommGetAsyncError failed: " + ncclError(polled));
            }
            if (asyncError[0] != ncclSuccess) {
                throw abort(op, "NCCL reported an asynchronous error: " + ncclError(asyncError[0]));
            }
            if (options.cancelled().getAsBoolean() || Thread.currentThread().isInterrupted()) {
                throw abort(op, "cancelled (the task was killed)");
            }
            long now = System.nanoTime();
            if (now > deadline) {
                throw abort(
                        op,
                        "did not complete within " + options.opTimeout().toSeconds()
                                + " s (a peer failed, stalled or is making different calls)");
            }
            if (now - start < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(PARK_NANOS);
            }
        }
    }

    private CollectiveException abort(String op, String why) {
        state = State.ABORTED;
        CollectiveException e =
                new CollectiveException("rank " + rank + ": NCCL " + op + " " + why + "; the communicator was aborted");
        int aborted = ncclCommAbort(comm);
        if (aborted != ncclSuccess) {
            e.addSuppressed(new CollectiveException("rank " + rank + ": ncclCommAbort failed: " + ncclError(aborted)));
        }
        return e;
    }

    private void ensureOpen(String op) {
        if (state == State.ABORTED) {
            throw new CollectiveException("rank " + rank + ": NCCL " + op + " on an aborted communicator (an earlier "
                    + "collective failed; the ranks are out of step)");
        }
        if (state == State.CLOSED) {
            throw new CollectiveException("rank " + rank + ": NCCL " + op + " on a closed communicator");
        }
    }

    /** At least {@code needed} bytes of device scratch; regrown only between collectives (the stream is idle). */
    private long scratch(long needed, String op) {
        if (scratch == null || scratchBytes < needed) {
            if (scratch != null) {
                cuda(op, "cudaFree", cudaFree(scratch));
                scratch = null;
                scratchBytes = 0;
            }
            Pointer p = new Pointer();
            cuda(op, "cudaMalloc(" + needed + " bytes)", cudaMalloc(p, needed));
            scratch = p;
            scratchBytes = needed;
        }
        return scratch.address();
    }

    private void nccl(String op, String call, int result) {
        if (result != ncclSuccess) {
            throw abort(op, "(" + call + ") failed: " + ncclError(result));
        }
    }

    private void cuda(String op, String call, int result) {
        if (result != cudaSuccess) {
            throw abort(op, "(" + call + ") failed: " + cudaError(result));
        }
    }

    private static void cudaCall(int rank, String op, String call, int result) {
        if (result != cudaSuccess) {
            throw new CollectiveException(
                    "rank " + rank + ": NCCL " + op + " (" + call + ") failed: " + cudaError(result));
        }
    }

    private static String ncclError(int result) {
        return ncclGetErrorString(result).getString() + " (ncclResult_t " + result + ")";
    }

    private static String cudaError(int result) {
        return cudaGetErrorString(result).getString() + " (cudaError_t " + result + ")";
    }

    /** Bytes a ring reduce-scatter or all-gather of {@code total} bytes sends plus receives on one rank. */
    private long ringBytes(long total) {
        return 2 * (worldSize - 1) * (total / worldSize);
    }

    private static long bytes(long floats) {
        return floats * Float.BYTES;
    }

    private static Pointer at(long address) {
        return new DeviceAddress(address);
    }

    /** A raw device address for JavaCPP (arithmetic on addresses, not on Pointer positions). */
    private static final class DeviceAddress extends Pointer {
        DeviceAddress(long address) {
            this.address = address;
        }
    }
}
