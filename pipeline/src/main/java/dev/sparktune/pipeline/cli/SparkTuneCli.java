package dev.sparktune.pipeline.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code sparktune} command line: {@code sparktune <verb> [options]}, run directly or through spark-submit.
 * Exit status: 0 success, 2 usage or configuration error (message on stderr, no stack trace), 1 the job failed.
 */
@Command(
        name = "sparktune",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        synopsisSubcommandLabel = "COMMAND",
        description = "Distributed LLM fine-tuning on Apache Spark: LLaMA-Factory datasets in, tokenized, masked "
                + "and packed Delta tables, then full or LoRA fine-tuning in one barrier stage.",
        subcommands = {
            RunCommand.class,
            PrepCommand.class,
            TrainCommand.class,
            ExportCommand.class,
            EvalCommand.class,
            RefLogProbsCommand.class,
            InspectCommand.class,
            InitModelCommand.class
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:success",
            "1:the job failed (message and stack trace on stderr)",
            "2:usage or configuration error (message on stderr)"
        })
public final class SparkTuneCli implements Callable<Integer> {
    /** Job failure. */
    public static final int EXIT_JOB_FAILED = 1;
    /** Usage or configuration error. */
    public static final int EXIT_USAGE = 2;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        err.println("Missing command: one of "
                + String.join(", ", spec.subcommands().keySet()));
        spec.commandLine().usage(err);
        return EXIT_USAGE;
    }

    /** The configured command line; its {@code execute} returns the exit status. Tests set its out and err writers. */
    public static CommandLine newCommandLine() {
        CommandLine commandLine = new CommandLine(new SparkTuneCli());
        commandLine.setExecutionExceptionHandler(new FailureHandler());
        return commandLine;
    }

    /** Runs {@code args} on stdout/stderr and returns the exit status. */
    public static int execute(String... args) {
        return newCommandLine().execute(args);
    }

    public static void main(String[] args) {
        int status = execute(args);
        if (inYarnApplicationMaster()) {
            // YARN cluster deploy mode: Spark's ApplicationMaster runs main in a thread of its own and reports the
            // application SUCCEEDED once main returns, FAILED with the message when it throws; System.exit would
            // run its shutdown hook first, which reports FAILED, "Shutdown hook called before final status was
            // reported", whatever the status
            if (status != 0) {
                throw new IllegalStateException("sparktune exited with status " + status
                        + " (2: a configuration or input error, 1: the job failed); the driver's stderr says why");
            }
            return;
        }
        System.exit(status);
    }

    /** The driver of YARN cluster deploy mode: the system properties spark-submit gives it there. */
    private static boolean inYarnApplicationMaster() {
        return System.getProperty("spark.master", "").equals("yarn")
                && System.getProperty("spark.submit.deployMode", "").equals("cluster");
    }
}
