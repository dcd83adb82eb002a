package dev.sparktune.trainer.metrics;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A test-side reader of TensorBoard event files that shares no code with the writer: TFRecord framing with a bitwise
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) and a generic protobuf field walker that rejects any field
 * or wire type an Event/Summary/Value should not hold.
 */
final class EventFileReader {
    /** One decoded Event; absent fields are null (step 0 when absent, as protobuf reads it). */
    record Event(double wallTime, long step, String fileVersion, Map<String, Float> scalars) {}

    private EventFileReader() {}

    static List<Event> read(Path file) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<Event> events = new ArrayList<>();
        while (in.hasRemaining()) {
            byte[] header = new byte[8];
            in.get(header);
            int headerCrc = in.getInt();
            if (headerCrc != masked(crc32c(header))) {
                throw new IllegalStateException("length CRC mismatch in record " + events.size());
            }
            long length = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getLong();
            byte[] data = new byte[Math.toIntExact(length)];
            in.get(data);
            int dataCrc = in.getInt();
            if (dataCrc != masked(crc32c(data))) {
                throw new IllegalStateException("data CRC mismatch in record " + events.size());
            }
            events.add(event(data));
        }
        return events;
    }

    static int crc32c(byte[] bytes) {
        int crc = 0xFFFFFFFF;
        for (byte b : bytes) {
            crc ^= b & 0xFF;
            for (int k = 0; k < 8; k++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x82F63B78 : crc >>> 1;
            }
        }
        return ~crc;
    }

    static int masked(int crc) {
        long rotated = ((crc & 0xFFFFFFFFL) >>> 15) | ((crc & 0xFFFFFFFFL) << 17);
        return (int) ((rotated + 0xa282ead8L) & 0xFFFFFFFFL);
    }

    private static Event event(byte[] data) {
        double wallTime = Double.NaN;
        long step = 0;
        String version = null;
        Map<String, Float> scalars = new LinkedHashMap<>();
        Fields f = new Fields(data);
        while (f.more()) {
            int key = (int) f.varint();
            switch (key) {
                case (1 << 3) | 1 -> wallTime = Double.longBitsToDouble(f.fixed64());
                case (2 << 3) -> step = f.varint();
                case (3 << 3) | 2 -> version = new String(f.bytes(), StandardCharsets.UTF_8);
                case (5 << 3) | 2 -> summary(f.bytes(), scalars);
                default -> throw new IllegalStateException("unexpected Event key " + key);
            }
        }
        return new Event(wallTime, step, version, scalars);
    }

    private static void summary(byte[] data, Map<String, Float> scalars) {
        Fields f = new Fields(data);
        while (f.more()) {
            int key = (int) f.varint();
            if (key != ((1 << 3) | 2)) {
                throw new IllegalStateException("unexpected Summary key " + key);
            }
            Fields v = new Fields(f.bytes());
            String tag = null;
            Float value = null;
            while (v.more()) {
                int k = (int) v.varint();
                switch (k) {
                    case (1 << 3) | 2 -> tag = new String(v.bytes(), StandardCharsets.UTF_8);
                    case (2 << 3) | 5 -> value = Float.intBitsToFloat(v.fixed32());
                    default -> throw new IllegalStateException("unexpected Value key " + k);
                }
            }
            scalars.put(tag, value);
        }
    }

    private static final class Fields {
        private final byte[] b;
        private int pos;

        Fields(byte[] b) {
            this.b = b;
        }

        boolean more() {
            return pos < b.length;
        }

        long varint() {
            long v = 0;
            for (int shift = 0; ; shift += 7) {
                int x = b[pos++] & 0xFF;
                v |= (long) (x & 0x7F) << shift;
                if (x < 0x80) {
                    return v;
                }
            }
        }

        long fixed64() {
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v |= (long) (b[pos++] & 0xFF) << (8 * i);
            }
            return v;
        }

        int fixed32() {
            int v = 0;
            for (int i = 0; i < 4; i++) {
                v |= (b[pos++] & 0xFF) << (8 * i);
            }
            return v;
        }

        byte[] bytes() {
            int n = Math.toIntExact(varint());
            byte[] out = new byte[n];
            System.arraycopy(b, pos, out, 0, n);
            pos += n;
            return out;
        }
    }
}
