package dev.sparktune.dl4j.collective;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Settings of a {@link TcpRingCollective}.
 *
 * @param connectTimeout how long forming the ring may take (peers connecting and authenticating)
 * @param ioTimeout      how long a collective may make no progress before it fails naming the stalled peer
 * @param pieceBytes     transfer unit inside a ring step: a received piece is reduced while the next one arrives
 * @param cancelled      polled while waiting (Spark's {@code TaskContext.isInterrupted}), so a killed task never
 *                       hangs in socket I/O
 */
public record RingOptions(Duration connectTimeout, Duration ioTimeout, int pieceBytes, BooleanSupplier cancelled) {
    public static final int DEFAULT_PIECE_BYTES = 1 << 20;

    public RingOptions {
        if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connect timeout must be > 0, got " + connectTimeout);
        }
        if (ioTimeout == null || ioTimeout.isNegative() || ioTimeout.isZero()) {
            throw new IllegalArgumentException("I/O timeout must be > 0, got " + ioTimeout);
        }
        if (pieceBytes < 4 || pieceBytes % 8 != 0) {
            throw new IllegalArgumentException("piece size must be a positive multiple of 8 bytes, got " + pieceBytes);
        }
        if (cancelled == null) {
            throw new IllegalArgumentException("cancelled must be non-null (use () -> false)");
        }
    }

    /** 2 minutes to connect, 5 minutes without progress, 1 MiB pieces, never cancelled. */
    public static RingOptions defaults() {
        return new RingOptions(Duration.ofMinutes(2), Duration.ofMinutes(5), DEFAULT_PIECE_BYTES, () -> false);
    }

    public RingOptions withConnectTimeout(Duration d) {
        return new RingOptions(d, ioTimeout, pieceBytes, cancelled);
    }

    public RingOptions withIoTimeout(Duration d) {
        return new RingOptions(connectTimeout, d, pieceBytes, cancelled);
    }

    public RingOptions withPieceBytes(int bytes) {
        return new RingOptions(connectTimeout, ioTimeout, bytes, cancelled);
    }

    public RingOptions withCancelled(BooleanSupplier c) {
        return new RingOptions(connectTimeout, ioTimeout, pieceBytes, c);
    }
}
