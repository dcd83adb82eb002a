package dev.sparktune.preprocess.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sparktune.preprocess.reject.RejectReason;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The line splitter on its own, with reads that end anywhere (as network streams do). */
class JsonLinesReaderTest {

    /** Hands out at most {@code step} bytes per read. */
    private static InputStream trickle(byte[] bytes, int step) {
        return new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, step));
            }
        };
    }

    private static List<SourceRecord> readAll(byte[] bytes, int step, long limit) {
        List<SourceRecord> out = new ArrayList<>();
        new JsonLinesReader("d", "file:/d.jsonl", trickle(bytes, step), limit).forEachRemaining(out::add);
        return out;
    }

    @Test
    void linesSurviveAnyReadBoundary() {
        String big = "x".repeat(200_000);
        String text = "\uFEFF{\"a\": 1}\r\n\n{\"b\": \"" + big + "\"}\n  \n{\"c\": \"\u00e9\u4e2d\"}";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (int step : new int[] {1, 2, 3, 7, 4096, 1 << 20}) {
            List<SourceRecord> records = readAll(bytes, step, Long.MAX_VALUE);
            assertEquals(
                    List.of(1L, 3L, 5L),
                    records.stream().map(SourceRecord::locator).toList(),
                    "step " + step);
            assertEquals("{\"a\": 1}", records.get(0).text(), "BOM and \\r are dropped, step " + step);
            assertEquals("{\"b\": \"" + big + "\"}", records.get(1).text());
            assertEquals("{\"c\": \"\u00e9\u4e2d\"}", records.get(2).text());
        }
    }

    @Test
    void invalidBytesAreAReadErrorWithLenientText() {
        byte[] bytes = {'o', 'k', '\n', 'a', (byte) 0xFF, 'b', '\n', (byte) 0xE2, (byte) 0x82, '\n'};
        List<SourceRecord> records = readAll(bytes, 2, Long.MAX_VALUE);
        assertEquals(3, records.size());
        assertNull(records.get(0).readError());
        assertEquals(RejectReason.INVALID_UTF8, records.get(1).readError());
        assertEquals("a\uFFFDb", records.get(1).text());
        assertEquals(RejectReason.INVALID_UTF8, records.get(2).readError(), "a truncated sequence is invalid too");
    }

    @Test
    void limitStopsEarly() {
        byte[] bytes = "1\n2\n3\n".getBytes(StandardCharsets.UTF_8);
        assertEquals(
                List.of("1", "2"),
                readAll(bytes, 1, 2).stream().map(SourceRecord::text).toList());
    }
}
