package dev.sparktune.pipeline.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.collective.CollectiveException;
import dev.sparktune.dl4j.model.ModelException;
import dev.sparktune.pipeline.PipelineException;
import dev.sparktune.pipeline.config.ConfigException;
import dev.sparktune.preprocess.PreprocessException;
import dev.sparktune.preprocess.api.SettingProblems;
import dev.sparktune.preprocess.source.DatasetException;
import dev.sparktune.preprocess.template.TemplateException;
import dev.sparktune.trainer.TrainerException;
import dev.sparktune.trainer.api.NotEnoughMemoryException;
import dev.sparktune.trainer.api.NotEnoughSlotsException;
import dev.sparktune.trainer.api.TrainConfigException;
import dev.sparktune.trainer.checkpoint.CheckpointException;
import dev.sparktune.trainer.data.TrainDataException;
import dev.sparktune.trainer.reference.RefLogProbsException;
import dev.sparktune.trainer.task.NonFiniteLossException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** What a verb's exception becomes: a user error is status 2 and its message alone, anything else status 1 with a trace. */
class FailureHandlerTest {

    /** A verb that throws what it is given, run by a command line with the CLI's handler. */
    @Command(name = "verb")
    private static final class Throwing implements Callable<Integer> {
        private final RuntimeException failure;

        Throwing(RuntimeException failure) {
            this.failure = failure;
        }

        @Override
        public Integer call() {
            throw failure;
        }
    }

    private record Outcome(int status, String err) {}

    private static Outcome execute(RuntimeException failure) {
        StringWriter err = new StringWriter();
        CommandLine commandLine = new CommandLine(new Throwing(failure));
        commandLine.setExecutionExceptionHandler(new FailureHandler());
        commandLine.setErr(new PrintWriter(err, true));
        return new Outcome(commandLine.execute(), err.toString());
    }

    @Test
    void aUserErrorExitsWith2AndPrintsItsMessageOnly() {
        Outcome outcome = execute(new TrainerException("export.export_dir = /x is a file; choose a directory"));
        assertEquals(SparkTuneCli.EXIT_USAGE, outcome.status(), outcome.err());
        assertEquals(
                "export.export_dir = /x is a file; choose a directory",
                outcome.err().strip());
        assertFalse(outcome.err().contains("\tat "), outcome.err());
        assertFalse(outcome.err().contains("Exception"), outcome.err());
    }

    @Test
    void anIllegalArgumentExceptionFromABugExitsWith1WithItsStackTrace() {
        Outcome outcome = execute(new IllegalArgumentException("stepsPerEpoch must be ceil(rows / globalBatchRows)"));
        assertEquals(SparkTuneCli.EXIT_JOB_FAILED, outcome.status(), outcome.err());
        assertTrue(
                outcome.err()
                        .contains("sparktune verb failed: java.lang.IllegalArgumentException: stepsPerEpoch "
                                + "must be ceil(rows / globalBatchRows)"),
                outcome.err());
        assertTrue(
                outcome.err().contains("\tat dev.sparktune.pipeline.cli.FailureHandlerTest"),
                "a bug keeps the stack trace that finds it: " + outcome.err());
    }

    @Test
    void eachModuleHasOneRootForItsUserErrors() {
        assertEquals(
                List.of(
                        ModelException.class,
                        PreprocessException.class,
                        TrainerException.class,
                        PipelineException.class),
                FailureHandler.USER_ERROR_ROOTS);
        List<Class<?>> userErrors = List.of(
                ModelException.class,
                DatasetException.class,
                TemplateException.class,
                NotEnoughMemoryException.class,
                NotEnoughSlotsException.class,
                TrainConfigException.class,
                CheckpointException.class,
                TrainDataException.class,
                RefLogProbsException.class,
                ConfigException.class);
        for (Class<?> type : userErrors) {
            assertTrue(
                    FailureHandler.USER_ERROR_ROOTS.stream().anyMatch(root -> root.isAssignableFrom(type)),
                    type + " extends its module's root");
        }
    }

    @Test
    void jobFailuresAndBrokenPreconditionsKeepTheirTrace() {
        for (RuntimeException failure : List.of(
                new IllegalStateException("executor lost"),
                new CollectiveException("rank 1: peer 0 closed its connection"),
                new NonFiniteLossException(3, Double.NaN, 1.0),
                new UnsupportedOperationException("not yet"))) {
            Outcome outcome = execute(failure);
            assertEquals(SparkTuneCli.EXIT_JOB_FAILED, outcome.status(), outcome.err());
            assertTrue(outcome.err().contains("\tat "), "a job failure keeps its stack trace: " + outcome.err());
        }
    }

    @Test
    void everyModulesUserErrorsExitWith2() {
        for (RuntimeException failure : List.of(
                new ModelException("config.json: bad"),
                new PreprocessException("unknown chat template 'lama3'"),
                new TemplateException("raised"),
                new NotEnoughSlotsException(4, 2, "world_size = 4 needs 4 concurrent task slots"),
                new TrainConfigException(List.of(new SettingProblems.Problem("fsdp", "not supported", null))),
                new PipelineException("run.synthetic_data: give a local path"))) {
            Outcome outcome = execute(failure);
            assertEquals(SparkTuneCli.EXIT_USAGE, outcome.status(), outcome.err());
            assertEquals(failure.getMessage(), outcome.err().strip());
        }
    }
}
