package dev.sparktune.trainer.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * A cheap identity of a base model directory, so that LoRA adapters are not resumed onto other weights of the same
 * shapes (a base and its -Instruct variant): sha256 over config.json and, per safetensors file in name order, its
 * name, size and first and last MiB. Hashing every weight would cost a full read of the model on each launch.
 */
public final class BaseModelFingerprint {
    private static final int SAMPLE = 1 << 20;

    private BaseModelFingerprint() {
    }

    public static String of(Path modelDir) {
        MessageDigest sha = CheckpointStore.sha256();
        try {
            sha.update(Files.readAllBytes(modelDir.resolve("config.json")));
            List<Path> files;
            try (Stream<Path> list = Files.list(modelDir)) {
                files = list.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
            }
            for (Path f : files) {
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                    long size = ch.size();
                    sha.update((f.getFileName() + ":" + size + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    sha.update(read(ch, 0, (int) Math.min(SAMPLE, size)));
                    sha.update(read(ch, Math.max(0, size - SAMPLE), (int) Math.min(SAMPLE, size)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fingerprint the model in " + modelDir + ": " + e.getMessage(), e);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static ByteBuffer read(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining() && ch.read(buf, position + buf.position()) >= 0) {
            // positioned reads until the sample is full
        }
        return buf.flip();
    }
}
