package dev.sparktune.trainer.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 as lower-case hex: checkpoint markers and shard hashes, the model cache key. */
public final class Sha256 {
    private Sha256() {}

    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }

    public static String hex(MessageDigest digest) {
        return HexFormat.of().formatHex(digest.digest());
    }

    public static String of(byte[] bytes) {
        MessageDigest d = digest();
        d.update(bytes);
        return hex(d);
    }

    /** Hashes everything {@code in} holds while copying it to {@code out}. */
    public static String copy(InputStream in, OutputStream out) throws IOException {
        MessageDigest d = digest();
        try (DigestInputStream hashing = new DigestInputStream(in, d)) {
            hashing.transferTo(out);
        }
        return hex(d);
    }
}
