package dev.sparktune.preprocess.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The SparkTune release that wrote a table (recorded in its properties). */
public final class SparkTuneVersion {
    public static final String VERSION = load();

    private SparkTuneVersion() {}

    private static String load() {
        try (InputStream in =
                SparkTuneVersion.class.getResourceAsStream("/dev/sparktune/preprocess/version.properties")) {
            if (in == null) {
                throw new IllegalStateException("version.properties missing from the SparkTune jar");
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
