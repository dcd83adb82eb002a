package dev.sparktune.pipeline.cli;

import dev.sparktune.preprocess.api.SparkTuneVersion;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code sparktune --version}: the SparkTune release (as recorded in tables), the Spark and Java it runs on. */
final class VersionProvider implements IVersionProvider {

    @Override
    public String[] getVersion() {
        return new String[] {
            "sparktune " + SparkTuneVersion.VERSION,
            "Spark " + sparkVersion(),
            "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"
        };
    }

    private static String sparkVersion() {
        try (InputStream in =
                VersionProvider.class.getClassLoader().getResourceAsStream("spark-version-info.properties")) {
            if (in == null) {
                return "(not on the classpath)";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "(unknown)");
        } catch (IOException e) {
            return "(unknown: " + e.getMessage() + ")";
        }
    }
}
