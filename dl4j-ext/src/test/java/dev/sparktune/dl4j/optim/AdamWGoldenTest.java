package dev.sparktune.dl4j.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.dl4j.model.TensorMismatchException;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.safetensors.SafetensorsReader;
import dev.sparktune.dl4j.testkit.GoldenSpecs;
import dev.sparktune.dl4j.testkit.ReferenceGoldensTest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * 20 steps of our AdamW + cosine warmup schedule + global-norm clipping against torch.optim.AdamW +
 * transformers' scheduler + clip_grad_norm_ (scripts/goldens/model_adamw.py): params and moments within 1e-5.
 */
class AdamWGoldenTest implements ReferenceGoldensTest {
    @Override
    public GoldensFile goldens() {
        return new GoldensFile("adamw.safetensors", "model_adamw.py");
    }

    @Override
    public List<String> checkGoldens(Path goldens) throws Exception {
        return check(goldens, null);
    }

    /** With {@code resumeDir}: save the state after half the steps, continue with a fresh optimizer loaded from it. */
    static List<String> check(Path file, Path resumeDir) throws Exception {
        SafetensorsReader r = SafetensorsReader.open(file);
        JsonNode spec = new ObjectMapper().readTree(r.metadata().get("spec"));
        int steps = spec.get("steps").asInt();
        ParamLayout.Builder b = ParamLayout.builder();
        for (JsonNode name : spec.get("order")) {
            b.add(name.asText(), r.info("init/" + name.asText()).shape());
        }
        ParamLayout layout = b.build();
        INDArray params = layout.allocate();
        INDArray grads = layout.allocate();
        for (ParamLayout.Entry e : layout.entries()) {
            r.readInto("init/" + e.name(), layout.view(params, e.name()));
        }
        AdamWConfig cfg = GoldenSpecs.adamW(spec, spec.get("lr").asDouble());
        AdamW adamw = new AdamW(layout, cfg, AdamW.decayMatrices());
        LrSchedule schedule = GoldenSpecs.cosineSchedule(spec, steps);
        List<String> report = new ArrayList<>();
        for (int step = 0; step < steps; step++) {
            for (ParamLayout.Entry e : layout.entries()) {
                r.readInto("grad/" + step + "/" + e.name(), layout.view(grads, e.name()));
            }
            double norm = GradClip.clip(grads, spec.get("max_norm").asDouble());
            assertEquals(spec.get("norms").get(step).asDouble(), norm, 1e-5 * norm, "grad norm at step " + step);
            double lr = cfg.lr() * schedule.factor(step);
            assertEquals(spec.get("lrs").get(step).asDouble(), lr, 1e-12, "lr at step " + step);
            adamw.step(params, grads, lr);
            if (resumeDir != null && step == steps / 2) {
                adamw.saveState(resumeDir);
                adamw = new AdamW(layout, cfg, AdamW.decayMatrices());
                adamw.loadState(resumeDir);
            }
        }
        assertEquals(steps, adamw.steps());
        for (ParamLayout.Entry e : layout.entries()) {
            report.add(close("final/" + e.name(), r.read("final/" + e.name()), layout.view(params, e.name()), 1e-5));
            report.add(close(
                    "exp_avg/" + e.name(),
                    r.read("exp_avg/" + e.name()),
                    layout.view(adamw.firstMoment(), e.name()),
                    1e-5));
            report.add(close(
                    "exp_avg_sq/" + e.name(),
                    r.read("exp_avg_sq/" + e.name()),
                    layout.view(adamw.secondMoment(), e.name()),
                    1e-5));
        }
        JsonNode schedules = spec.get("schedules");
        for (LrSchedule.Type type : LrSchedule.Type.values()) {
            LrSchedule s = new LrSchedule(type, spec.get("warmup").asInt(), steps);
            JsonNode expected = schedules.get(type.name().toLowerCase(Locale.ROOT));
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(expected.get(i).asDouble(), s.factor(i), 1e-12, type + " factor at step " + i);
            }
        }
        return report;
    }

    private static String close(String what, INDArray expected, INDArray actual, double tol) {
        double diff = expected.sub(actual).amaxNumber().doubleValue();
        String line = String.format("%-20s max|diff| %.3e", what, diff);
        assertTrue(diff <= tol, line + " > " + tol);
        return line;
    }

    @Test
    void saveAndRestoreMidwayGivesTheSameRun(@TempDir Path tmp) throws Exception {
        check(checkedInGoldens(), tmp.resolve("state"));
        ParamLayout other = ParamLayout.builder().add("w", 6, 4).build();
        AdamW wrong = new AdamW(other, AdamWConfig.defaults(1e-3), AdamW.decayMatrices());
        TensorMismatchException e =
                Assertions.assertThrows(TensorMismatchException.class, () -> wrong.loadState(tmp.resolve("state")));
        assertTrue(e.getMessage().contains("\"exp_avg/w\"") && e.getMessage().contains("[6, 5]"), e.getMessage());
    }

    @Test
    void configAndScheduleValidate() {
        assertThrows(IllegalArgumentException.class, () -> new AdamWConfig(1e-3, 1.0, 0.9, 1e-8, 0));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(LrSchedule.Type.COSINE, 2, 0));
        assertEquals(3, LrSchedule.warmupFromRatio(0.1, 21));
        assertThrows(IllegalArgumentException.class, () -> GradClip.clip(null, 0.0));
    }
}
