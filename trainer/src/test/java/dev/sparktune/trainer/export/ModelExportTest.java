package dev.sparktune.trainer.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.lora.LoraAdapters;
import dev.sparktune.dl4j.lora.LoraConfig;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.testkit.TinyModels;
import dev.sparktune.trainer.TrainerException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The export verb on the driver, without Spark: the merged model is the base with W + s·B·A in every targeted
 * projection, loadable as an HF directory with the base's tokenizer; adapter_only copies the PEFT files; an earlier
 * export is replaced, and a directory holding anything else (or a file) is refused and left as it was.
 */
class ModelExportTest {
    @TempDir
    static Path scratch;

    static Path base;
    static Path adapter;
    static HfModelDir.Loaded baseModel;
    static LoraAdapters adapters;
    static INDArray adapterParams;

    @BeforeAll
    static void models() {
        base = scratch.resolve("base");
        baseModel = TinyModels.writeQwen3(base, 3, 0.05);
        adapters = new LoraAdapters(baseModel.config(), LoraConfig.of(4, 8, 0, "q_proj,v_proj", false), 0);
        adapterParams = adapters.init(5);
        adapterParams.addi(0.01); // lora_B starts at 0: make the merge change the weights
        adapter = scratch.resolve("adapter");
        adapters.save(adapter, adapterParams, base.toString());
    }

    private static List<String> export(String adapterPath, Path to, boolean adapterOnly) {
        return ModelExport.run(
                new ExportConfig(base.toString(), adapterPath, to.toString(), 1L << 30, adapterOnly),
                new Configuration());
    }

    @Test
    void theMergedModelIsTheBaseWithTheAdapterFoldedIn() {
        Path out = scratch.resolve("merged");
        List<String> files = export(adapter.toString(), out, false);
        assertTrue(
                files.contains("config.json")
                        && files.contains("tokenizer.json")
                        && files.stream().anyMatch(f -> f.endsWith(".safetensors")),
                files.toString());
        HfModelDir.Loaded merged = HfModelDir.load(out);
        ParamLayout layout = baseModel.layout();
        double scaling = 8.0 / 4; // lora_alpha / r
        for (ParamLayout.Entry e : layout.entries()) {
            INDArray base = layout.view(baseModel.params(), e.name());
            INDArray got = merged.layout().view(merged.params(), e.name());
            String module = e.name().replace(".weight", "");
            boolean targeted = module.endsWith("q_proj") || module.endsWith("v_proj");
            INDArray expected = base;
            if (targeted) {
                String prefix = LoraAdapters.PEFT_PREFIX + module;
                INDArray a = adapters.layout().view(adapterParams, prefix + ".lora_A.weight");
                INDArray b = adapters.layout().view(adapterParams, prefix + ".lora_B.weight");
                expected = base.add(b.mmul(a).muli(scaling)); // W + s·B·A, computed here
                assertTrue(got.sub(base).amaxNumber().doubleValue() > 1e-4, e.name() + " changed");
            }
            assertTrue(got.equalsWithEps(expected, 1e-6), e.name() + (targeted ? ": W + s·B·A" : ": untouched"));
        }
    }

    @Test
    void anEarlierExportIsReplacedAndAnythingElseRefusedUntouched() throws Exception {
        Path out = scratch.resolve("replaced");
        export(adapter.toString(), out, false);
        List<String> again = export(adapter.toString(), out, true);
        assertEquals(
                List.of("adapter_config.json", "adapter_model.safetensors"),
                again,
                "adapter_only replaced the earlier model export as a whole");
        assertArrayEquals(
                Files.readAllBytes(adapter.resolve("adapter_model.safetensors")),
                Files.readAllBytes(out.resolve("adapter_model.safetensors")));

        Path other = Files.createDirectories(scratch.resolve("someone-elses"));
        Files.writeString(other.resolve("notes.txt"), "keep me");
        TrainerException e = assertThrows(TrainerException.class, () -> export(adapter.toString(), other, false));
        assertTrue(
                e.getMessage().contains("holds other files")
                        && e.getMessage().contains("choose an empty or new directory"),
                e.getMessage());
        assertEquals(List.of(other.resolve("notes.txt")), Files.list(other).toList(), "left as it was");

        Path file = Files.writeString(scratch.resolve("a-file"), "x");
        e = assertThrows(TrainerException.class, () -> export("", file, false));
        assertTrue(e.getMessage().contains("is a file"), e.getMessage());
        assertEquals("x", Files.readString(file));
    }
}
