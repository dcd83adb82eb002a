package dev.sparktune.trainer.metrics;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * TensorBoard's on-disk format, written by hand (a handful of protobuf fields do not justify a protobuf dependency):
 * {@code tensorflow.Event} messages, each framed as a TFRecord.
 *
 * <pre>
 * TFRecord: uint64 length | uint32 masked_crc32c(length bytes) | data | uint32 masked_crc32c(data), little-endian
 * Event:    double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5
 * Summary:  repeated Value value = 1
 * Value:    string tag = 1; float simple_value = 2
 * </pre>
 */
final class EventRecords {
    /** The first record's file_version: TensorBoard reads files that declare this version. */
    static final String FILE_VERSION = "brain.Event:2";

    private static final int VARINT = 0;
    private static final int FIXED64 = 1;
    private static final int LENGTH_DELIMITED = 2;
    private static final int FIXED32 = 5;

    private EventRecords() {}

    /** The Event every event file starts with: wall time and file_version. */
    static byte[] fileVersion(double wallTime) {
        Proto event = new Proto();
        event.fixed64(1, Double.doubleToLongBits(wallTime));
        event.bytes(3, FILE_VERSION.getBytes(StandardCharsets.UTF_8));
        return event.toByteArray();
    }

    /** An Event with one simple_value per tag, in the map's order. */
    static byte[] scalars(double wallTime, long step, Map<String, Float> values) {
        Proto summary = new Proto();
        for (Map.Entry<String, Float> v : values.entrySet()) {
            Proto value = new Proto();
            value.bytes(1, v.getKey().getBytes(StandardCharsets.UTF_8));
            value.fixed32(2, Float.floatToIntBits(v.getValue()));
            summary.bytes(1, value.toByteArray());
        }
        Proto event = new Proto();
        event.fixed64(1, Double.doubleToLongBits(wallTime));
        event.varint(2, step);
        event.bytes(5, summary.toByteArray());
        return event.toByteArray();
    }

    /** One TFRecord holding {@code data}. */
    static byte[] frame(byte[] data) {
        ByteBuffer out = ByteBuffer.allocate(8 + 4 + data.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(data.length);
        out.putInt(maskedCrc32c(out.array(), 0, 8));
        out.put(data);
        out.putInt(maskedCrc32c(data, 0, data.length));
        return out.array();
    }

    /**
     * CRC-32C, rotated and offset as TFRecord requires: a CRC stored next to the data it covers would otherwise make
     * CRCs of strings that embed CRCs degenerate.
     */
    static int maskedCrc32c(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    /** A protobuf message being written: fields appended in call order. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void varint(int field, long value) {
            key(field, VARINT);
            raw(value);
        }

        void fixed64(int field, long bits) {
            key(field, FIXED64);
            for (int i = 0; i < 8; i++) {
                out.write((int) (bits >>> (8 * i)));
            }
        }

        void fixed32(int field, int bits) {
            key(field, FIXED32);
            for (int i = 0; i < 4; i++) {
                out.write(bits >>> (8 * i));
            }
        }

        void bytes(int field, byte[] value) {
            key(field, LENGTH_DELIMITED);
            raw(value.length);
            out.writeBytes(value);
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }

        private void key(int field, int wireType) {
            raw(((long) field << 3) | wireType);
        }

        private void raw(long value) {
            while ((value & ~0x7FL) != 0) {
                out.write((int) ((value & 0x7F) | 0x80));
                value >>>= 7;
            }
            out.write((int) value);
        }
    }
}
