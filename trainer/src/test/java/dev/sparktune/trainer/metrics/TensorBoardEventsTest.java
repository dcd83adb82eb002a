package dev.sparktune.trainer.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.trainer.task.HeldBytes;
import dev.sparktune.trainer.task.StepMetrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The event file decodes with a reader that shares no code with the writer (bitwise CRC-32C, generic protobuf walk):
 * a file-version record first, then one Event per logging step with the seven train/ scalars as floats.
 */
class TensorBoardEventsTest {
    static final List<String> TAGS = List.of(
            "train/loss",
            "train/learning_rate",
            "train/grad_norm",
            "train/tokens_per_second",
            "train/mfu",
            "train/mfu_useful",
            "train/epoch");
    /**
     * 1e5 model FLOPs per token on 2 ranks of 1e9 FLOP/s each: 3000 tokens/s is 15% MFU; the steps' rows need half
     * of that (short packed documents), so the useful MFU is half.
     */
    static final Mfu MFU = new Mfu(1e5, 1e9, 2);

    /** Five steps logged every second step plus the last one, as RankTask records them. */
    static TensorBoardEvents writeFiveSteps(Path work) {
        TensorBoardEvents events = TensorBoardEvents.create(work, MFU);
        for (int s = 0; s < 5; s++) {
            events.record(metrics(s), s == 4 || (s + 1) % 2 == 0);
        }
        return events;
    }

    static StepMetrics metrics(int s) {
        return new StepMetrics(
                s,
                (s + 1) / 2.5,
                3.0 - 0.4 * s,
                1.5 / (s + 1),
                1e-4 * (5 - s),
                1000L * (s + 1),
                500,
                5e7 * (s + 1),
                0.5,
                Map.of());
    }

    @Test
    void writesAFileVersionRecordThenTheScalarsOfEachLoggingStep(@TempDir Path work) throws IOException {
        double before = System.currentTimeMillis() / 1000.0;
        TensorBoardEvents events = writeFiveSteps(work);
        Path file = events.file();
        assertEquals(work.resolve("runs"), file.getParent());
        String name = file.getFileName().toString();
        assertTrue(name.matches("events\\.out\\.tfevents\\.\\d{10}\\..+"), name);

        List<EventFileReader.Event> read = EventFileReader.read(file);
        assertEquals(4, read.size(), "file version + steps 2, 4, 5");
        assertEquals("brain.Event:2", read.get(0).fileVersion());
        assertTrue(read.get(0).scalars().isEmpty());
        assertEquals(Long.parseLong(name.split("\\.")[3]), (long) read.get(0).wallTime());
        assertEquals(
                List.of(2L, 4L, 5L),
                read.subList(1, 4).stream().map(EventFileReader.Event::step).toList());
        for (EventFileReader.Event e : read) {
            assertTrue(
                    e.wallTime() >= Math.floor(before) && e.wallTime() <= System.currentTimeMillis() / 1000.0 + 1,
                    "wall time in seconds: " + e.wallTime());
        }
        for (EventFileReader.Event e : read.subList(1, 4)) {
            assertNull(e.fileVersion());
            assertEquals(TAGS, List.copyOf(e.scalars().keySet()));
            StepMetrics m = metrics((int) e.step() - 1);
            Map<String, Float> v = e.scalars();
            assertEquals((float) m.loss(), v.get("train/loss"));
            assertEquals((float) m.lr(), v.get("train/learning_rate"));
            assertEquals((float) m.gradNorm(), v.get("train/grad_norm"));
            assertEquals((float) m.epoch(), v.get("train/epoch"));
        }
        // tokens/s over the window since the last logged step: steps 1+2, 3+4, then 5 alone (0.5 s each)
        assertEquals(
                List.of(3000f, 7000f, 10000f),
                read.subList(1, 4).stream()
                        .map(e -> e.scalars().get("train/tokens_per_second"))
                        .toList());
        assertEquals(
                List.of(0.15f, 0.35f, 0.5f),
                read.subList(1, 4).stream()
                        .map(e -> e.scalars().get("train/mfu"))
                        .toList());
        assertEquals(
                List.of(0.075f, 0.175f, 0.25f),
                read.subList(1, 4).stream()
                        .map(e -> e.scalars().get("train/mfu_useful"))
                        .toList());
    }

    @Test
    void theMaskedCrcIsTfRecordsOnKnownInput() {
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertEquals(0xE3069283, EventFileReader.crc32c(check), "CRC-32C check value of the test oracle");
        int c = 0xE3069283;
        int expected = (int) ((((c & 0xFFFFFFFFL) >>> 15 | (c & 0xFFFFFFFFL) << 17) + 0xa282ead8L) & 0xFFFFFFFFL);
        assertEquals(expected, EventRecords.maskedCrc32c(check, 0, check.length));
    }

    @Test
    void aCorruptedRecordIsDetected(@TempDir Path work) throws IOException {
        Path file = writeFiveSteps(work).file();
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 10] ^= 1; // inside the last record's payload
        Files.write(file, bytes);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> EventFileReader.read(file));
        assertTrue(e.getMessage().contains("data CRC mismatch in record 3"), e.getMessage());
    }

    @Test
    void aResumedRunReplaysTheCheckpointsTrainerLog(@TempDir Path work) throws IOException {
        Path log = work.resolve("trainer_log.jsonl");
        TrainerLog trainerLog = new TrainerLog(log, 0, 5, new HeldBytes(1, 2, 3, 4), MFU);
        for (int s = 0; s < 4; s++) {
            StepMetrics m = metrics(s);
            // a preference run's step: the objective's own metric beside the loss
            trainerLog.record(
                    new StepMetrics(
                            m.step(),
                            m.epoch(),
                            m.loss(),
                            m.gradNorm(),
                            m.lr(),
                            m.tokens(),
                            m.supervised(),
                            m.usefulFlops(),
                            m.seconds(),
                            Map.of("rewards/accuracies", 0.25 * s)),
                    (s + 1) % 2 == 0);
        }
        TensorBoardEvents events = TensorBoardEvents.create(work.resolve("resumed"), MFU);
        events.replay(log, List.of("rewards/accuracies"));
        events.record(metrics(4), true);
        List<EventFileReader.Event> read = EventFileReader.read(events.file());
        assertEquals(
                List.of(2L, 4L, 5L),
                read.subList(1, read.size()).stream()
                        .map(EventFileReader.Event::step)
                        .toList(),
                "steps 2 and 4 from the log, 5 recorded after the resume");
        assertEquals((float) metrics(3).loss(), read.get(2).scalars().get("train/loss"));
        assertEquals((float) metrics(1).gradNorm(), read.get(1).scalars().get("train/grad_norm"));
        List<String> tags = new ArrayList<>(TAGS);
        tags.add("train/rewards/accuracies");
        assertEquals(tags, List.copyOf(read.get(1).scalars().keySet()));
        assertEquals(0.75f, read.get(2).scalars().get("train/rewards/accuracies"), "the objective's metric, replayed");
        assertEquals(0.35f, read.get(2).scalars().get("train/mfu"), 1e-6f, "the log's mfu, replayed");
        assertEquals(0.175f, read.get(2).scalars().get("train/mfu_useful"), 1e-6f, "the log's mfu_useful, replayed");
    }
}
