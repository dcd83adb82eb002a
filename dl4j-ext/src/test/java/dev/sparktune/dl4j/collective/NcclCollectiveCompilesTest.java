package dev.sparktune.dl4j.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.testkit.RepoPaths;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code NcclCollective} (src/cuda/java) is built only by the cuda profile, which no default build and no CI run
 * activates (the GPU machines here lack CUDA 11.6). So that a change to {@link Collective} or to how ND4J is used
 * cannot break it unnoticed, this compiles it against this module's classes and class path plus the CUDA builds' API
 * jars (the nd4j-cuda-11.6 and JavaCPP CUDA/NCCL classes, no natives; copied to target/cuda-api by the pom). -Pcuda
 * compiles it against nd4j-cuda in place of nd4j-native; the two backends share nd4j-api, which is what it uses.
 */
class NcclCollectiveCompilesTest {
    @TempDir
    Path out;

    @Test
    void theCudaSourcesCompileAgainstTheCurrentCollectiveAndNd4j() throws Exception {
        List<String> sources;
        try (Stream<Path> files = Files.walk(RepoPaths.resolve("dl4j-ext/src/cuda/java"))) {
            sources = files.filter(f -> f.toString().endsWith(".java"))
                    .map(Path::toString)
                    .toList();
        }
        assertTrue(sources.stream().anyMatch(f -> f.endsWith("NcclCollective.java")), sources.toString());
        List<String> classPath = new ArrayList<>(
                List.of(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))
                        .split(File.pathSeparator)));
        try (Stream<Path> jars = Files.list(Path.of(System.getProperty("sparktune.cuda.api.dir")))) {
            List<String> cuda =
                    jars.map(Path::toString).filter(f -> f.endsWith(".jar")).toList();
            for (String artifact : List.of("nd4j-cuda-11.6-", "nd4j-cuda-11.6-preset-", "cuda-")) {
                assertTrue(
                        cuda.stream()
                                .anyMatch(
                                        f -> Path.of(f).getFileName().toString().startsWith(artifact)),
                        artifact + "*.jar in " + cuda);
            }
            classPath.addAll(cuda);
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        List<String> args = new ArrayList<>(List.of(
                "--release",
                "17",
                "-proc:none",
                "-nowarn",
                "-d",
                out.toString(),
                "-cp",
                String.join(File.pathSeparator, classPath)));
        args.addAll(sources);
        int status = javac.run(null, null, errors, args.toArray(String[]::new));
        assertEquals(0, status, "src/cuda/java no longer compiles:\n" + errors.toString(StandardCharsets.UTF_8));
        assertTrue(Files.isRegularFile(out.resolve("dev/sparktune/dl4j/collective/NcclCollective.class")));
    }
}
