package dev.sparktune.preprocess.source;

import dev.sparktune.preprocess.PreprocessException;
import java.util.List;

/**
 * A dataset could not be resolved or opened: a configuration problem the user must fix before any record is read.
 * Problems with single records are not exceptions but {@link Conversion.Failed} rejects. Messages are written by
 * {@link DatasetErrors}.
 */
public class DatasetException extends PreprocessException {
    private final String dataset;

    DatasetException(String dataset, String message) {
        super(message);
        this.dataset = dataset;
    }

    DatasetException(String dataset, String message, Throwable cause) {
        super(message, cause);
        this.dataset = dataset;
    }

    /** The dataset name as the user gave it. */
    public String dataset() {
        return dataset;
    }

    /** A name that is neither a dataset_info.json key nor an existing path. */
    public static final class UnknownDataset extends DatasetException {
        private final List<String> knownNames;
        private final String closestMatch;

        UnknownDataset(String dataset, List<String> knownNames, String closestMatch, String message) {
            super(dataset, message);
            this.knownNames = List.copyOf(knownNames);
            this.closestMatch = closestMatch;
        }

        /** The keys of dataset_info.json (empty if there is none). */
        public List<String> knownNames() {
            return knownNames;
        }

        /** The known name closest to the one asked for, or {@code null} if there are none. */
        public String closestMatch() {
            return closestMatch;
        }
    }

    /** A file or folder a dataset points to does not exist (or a folder holds no readable files). */
    public static final class MissingFile extends DatasetException {
        private final String path;

        MissingFile(String dataset, String path, String message) {
            super(dataset, message);
            this.path = path;
        }

        /** The path that was looked for. */
        public String path() {
            return path;
        }
    }

    /** A dataset_info.json entry (or a sniffed file) asks for something SparkTune does not support or cannot use. */
    public static final class InvalidEntry extends DatasetException {
        private final String key;

        InvalidEntry(String dataset, String key, String message) {
            super(dataset, message);
            this.key = key;
        }

        /** The offending key of the entry (e.g. {@code ranking}, {@code columns.images}), or the file for sniffing. */
        public String key() {
            return key;
        }
    }
}
