package dev.sparktune.preprocess.source;

import java.io.IOException;
import java.util.List;

/** Writes the messages of {@link DatasetException}s: the subject, what was asked, what is allowed, what to do. */
final class DatasetErrors {
    private DatasetErrors() {}

    static DatasetException.UnknownDataset unknownDataset(
            String name, String infoPath, boolean infoExists, List<String> known, String closest, String triedPath) {
        StringBuilder sb = new StringBuilder("dataset '").append(name).append("' is not defined: ");
        if (infoExists) {
            sb.append("it is not a key of ").append(infoPath);
        } else {
            sb.append("there is no ").append(infoPath);
        }
        sb.append(" and no file or folder exists at ").append(triedPath).append('.');
        if (!known.isEmpty()) {
            sb.append(" Known datasets: ").append(String.join(", ", known)).append('.');
        }
        if (closest != null) {
            sb.append(" Did you mean '").append(closest).append("'?");
        }
        return new DatasetException.UnknownDataset(name, known, closest, sb.toString());
    }

    static DatasetException.MissingFile missingFile(String dataset, String path) {
        return new DatasetException.MissingFile(
                dataset,
                path,
                "dataset '" + dataset + "': file or folder " + path
                        + " does not exist; check file_name in dataset_info.json (relative to dataset_dir) or the path");
    }

    static DatasetException.MissingFile emptyFolder(String dataset, String path) {
        return new DatasetException.MissingFile(
                dataset,
                path,
                "dataset '" + dataset + "': folder " + path + " holds no .json, .jsonl or .parquet files");
    }

    static DatasetException.InvalidEntry unsupported(String dataset, String key, String what, String todo) {
        return new DatasetException.InvalidEntry(
                dataset,
                key,
                "dataset '" + dataset + "': " + key + " " + what + " is not supported by SparkTune; " + todo);
    }

    static DatasetException.InvalidEntry invalid(String dataset, String key, String message) {
        return new DatasetException.InvalidEntry(dataset, key, "dataset '" + dataset + "': " + key + " " + message);
    }

    static DatasetException unreadable(String dataset, String path, IOException cause) {
        return new DatasetException(dataset, "dataset '" + dataset + "': cannot read " + path + ": " + cause, cause);
    }
}
