package dev.sparktune.trainer.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.testkit.ReferencePython;
import dev.sparktune.trainer.task.StepMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TensorBoard itself reads our event file (live reference stack, scripts/check_tensorboard_events.py; never skipped):
 * its record reader accepts every CRC, each Event re-serializes to the bytes we wrote, and EventAccumulator (the
 * scalar dashboard's loader) returns the five train/ scalars at steps 2, 4 and 5 with our values.
 */
class TensorBoardEventsLiveTest {
    @Test
    void tensorBoardLoadsTheScalars(@TempDir Path work) throws Exception {
        Path file = TensorBoardEventsTest.writeFiveSteps(work).file();
        JsonNode out = new ObjectMapper()
                .readTree(ReferencePython.runScript(
                        "scripts/check_tensorboard_events.py", List.of(file.toString()), Duration.ofMinutes(2)));
        assertEquals(4, out.get("records").asInt());
        assertEquals("brain.Event:2", out.get("file_version").asText());
        assertTrue(out.get("canonical").asBoolean(), "protobuf re-encodes each Event to the same bytes");
        JsonNode scalars = out.get("scalars");
        List<String> tags = new ArrayList<>();
        scalars.fieldNames().forEachRemaining(tags::add);
        assertEquals(
                TensorBoardEventsTest.TAGS.stream().sorted().toList(),
                tags.stream().sorted().toList());
        for (String tag : TensorBoardEventsTest.TAGS) {
            JsonNode series = scalars.get(tag);
            assertEquals(
                    List.of(2, 4, 5),
                    List.of(
                            series.get(0).get("step").asInt(),
                            series.get(1).get("step").asInt(),
                            series.get(2).get("step").asInt()),
                    tag);
        }
        for (JsonNode point : scalars.get("train/loss")) {
            StepMetrics m = TensorBoardEventsTest.metrics(point.get("step").asInt() - 1);
            assertEquals((float) m.loss(), (float) point.get("value").asDouble(), "train/loss at " + point);
        }
        for (JsonNode point : scalars.get("train/learning_rate")) {
            StepMetrics m = TensorBoardEventsTest.metrics(point.get("step").asInt() - 1);
            assertEquals((float) m.lr(), (float) point.get("value").asDouble(), "train/learning_rate at " + point);
        }
        assertEquals(10000f, (float)
                scalars.get("train/tokens_per_second").get(2).get("value").asDouble());
    }
}
