package dev.sparktune.pipeline.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunStateTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aFinishedStageIsFoundOnlyUnderItsFingerprint() {
        String file = dir.resolve("run/run_state.json").toString();
        RunState state = RunState.open(file, new Configuration());
        assertFalse(state.finished("prep", "f1").isPresent());
        state.markFinished("prep", "f1", JSON.createObjectNode().put("table_version", 3));

        RunState reopened = RunState.open(file, new Configuration());
        assertEquals(
                3,
                reopened.finished("prep", "f1")
                        .orElseThrow()
                        .path("table_version")
                        .asInt());
        assertFalse(reopened.finished("prep", "f2").isPresent(), "other settings: not finished");
        assertFalse(reopened.finished("train", "f1").isPresent());
    }

    @Test
    void aRecordLeftOnlyAsTheTemporaryFileIsRead() throws Exception {
        Path file = dir.resolve("run_state.json");
        RunState.open(file.toString(), new Configuration()).markFinished("prep", "f1", JSON.createObjectNode());
        // killed after removing the old record, before renaming the new one into place
        Files.move(file, dir.resolve(".run_state.json.tmp"));
        assertTrue(RunState.open(file.toString(), new Configuration())
                .finished("prep", "f1")
                .isPresent());
    }

    @Test
    void aFileThatIsNotARunStateIsRefusedWithWhatToDo() throws Exception {
        Path file = Files.writeString(dir.resolve("run_state.json"), "{\"other\": 1}");
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> RunState.open(file.toString(), new Configuration()));
        assertTrue(e.getMessage().contains("delete it"), e.getMessage());
    }
}
