package dev.sparktune.dl4j.collective;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mutual challenge-response authentication of one ring link (predecessor = client, successor = server) with
 * HMAC-SHA256 keyed by the job secret. Each side proves it holds the secret over a fresh nonce of the other side, so
 * the secret never crosses the wire and a recorded exchange cannot be replayed; the MAC also binds the ranks, the
 * world size and the byte order, so a rank of another job or of a stale attempt is refused.
 * <pre>
 *   client → server: MAGIC VERSION world clientRank littleEndian clientNonce[32]
 *   server → client: MAGIC VERSION world serverRank serverNonce[32] HMAC("server", cN, sN, world, sRank, cRank)
 *   client → server: HMAC("client", sN, cN, world, cRank, sRank)
 *   server → client: ACCEPTED
 * </pre>
 */
final class RingHandshake {
    static final int MAGIC = 0x53545247; // "STRG"
    static final int VERSION = 1;
    static final int NONCE_BYTES = 32;
    static final int ACCEPTED = 0x4f4b;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The peer failed to authenticate or spoke another protocol; the message is safe to log (no secret in it). */
    static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;

        Rejected(String message) {
            super(message);
        }
    }

    private final byte[] secret;
    private final int worldSize;

    RingHandshake(byte[] secret, int worldSize) {
        if (secret == null || secret.length < 16) {
            throw new IllegalArgumentException("the job secret must have at least 16 bytes");
        }
        this.secret = secret.clone();
        this.worldSize = worldSize;
    }

    /** Client side: this rank connects to its successor {@code serverRank}. */
    void client(DataInputStream in, DataOutputStream out, int clientRank, int serverRank) throws IOException, Rejected {
        byte[] cNonce = nonce();
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeInt(worldSize);
        out.writeInt(clientRank);
        out.writeBoolean(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN);
        out.write(cNonce);
        out.flush();
        expectHeader(in);
        int world = in.readInt();
        int rank = in.readInt();
        if (world != worldSize || rank != serverRank) {
            throw new Rejected("the peer says it is rank " + rank + " of " + world + ", expected rank " + serverRank
                    + " of " + worldSize + " (a rank of another job or attempt)");
        }
        byte[] sNonce = in.readNBytes(NONCE_BYTES);
        byte[] sMac = in.readNBytes(32);
        if (!MessageDigest.isEqual(sMac, mac("server", cNonce, sNonce, serverRank, clientRank))) {
            throw new Rejected("the peer does not hold this job's secret");
        }
        out.write(mac("client", sNonce, cNonce, clientRank, serverRank));
        out.flush();
        if (in.readInt() != ACCEPTED) {
            throw new Rejected("the peer refused this rank");
        }
    }

    /** Server side: this rank accepts its predecessor {@code clientRank}. */
    void server(DataInputStream in, DataOutputStream out, int serverRank, int clientRank) throws IOException, Rejected {
        expectHeader(in);
        int world = in.readInt();
        int rank = in.readInt();
        boolean littleEndian = in.readBoolean();
        byte[] cNonce = in.readNBytes(NONCE_BYTES);
        if (cNonce.length != NONCE_BYTES) {
            throw new Rejected("the connection closed during the handshake");
        }
        if (world != worldSize || rank != clientRank) {
            throw new Rejected("the peer says it is rank " + rank + " of " + world + ", expected rank " + clientRank
                    + " of " + worldSize);
        }
        if (littleEndian != (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN)) {
            throw new Rejected("the peer's byte order differs from this rank's; all ranks must run on one CPU family");
        }
        byte[] sNonce = nonce();
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeInt(worldSize);
        out.writeInt(serverRank);
        out.write(sNonce);
        out.write(mac("server", cNonce, sNonce, serverRank, clientRank));
        out.flush();
        byte[] cMac = in.readNBytes(32);
        if (!MessageDigest.isEqual(cMac, mac("client", sNonce, cNonce, clientRank, serverRank))) {
            throw new Rejected("the peer does not hold this job's secret");
        }
        out.writeInt(ACCEPTED);
        out.flush();
    }

    private static void expectHeader(DataInputStream in) throws IOException, Rejected {
        int magic = in.readInt();
        int version = in.readInt();
        if (magic != MAGIC) {
            throw new Rejected("the peer does not speak the SparkTune ring protocol");
        }
        if (version != VERSION) {
            throw new Rejected("the peer speaks ring protocol version " + version + ", this rank " + VERSION
                    + " (mixed SparkTune versions on one job)");
        }
    }

    private static byte[] nonce() {
        byte[] n = new byte[NONCE_BYTES];
        RANDOM.nextBytes(n);
        return n;
    }

    private byte[] mac(String role, byte[] first, byte[] second, int fromRank, int toRank) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(("sparktune-ring/" + role).getBytes(StandardCharsets.US_ASCII));
            mac.update(first);
            mac.update(second);
            mac.update(ByteBuffer.allocate(12)
                    .putInt(worldSize)
                    .putInt(fromRank)
                    .putInt(toRank)
                    .array());
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable in this JVM", e);
        }
    }
}
