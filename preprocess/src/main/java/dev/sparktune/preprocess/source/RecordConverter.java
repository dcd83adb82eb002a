package dev.sparktune.preprocess.source;

import dev.sparktune.preprocess.api.Stage;
import java.io.Serializable;
import java.util.Objects;

/**
 * Turns one {@link SourceRecord} into a {@link Conversion}. Never throws for bad data: every problem with a record
 * is a {@link Conversion.Failed}, so that records read = converted + failed. A record that could not be read
 * passes its read error through. Implementations are stateless and serializable (they travel to executors).
 */
public interface RecordConverter extends Serializable {

    Conversion convert(SourceRecord record);

    /**
     * The converter for a dataset: text for {@code stage=pt}, else by the dataset's formatting (preference pairs
     * for a ranking dataset).
     */
    static RecordConverter forSpec(DatasetSpec spec, Stage stage) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(stage, "stage");
        if (stage == Stage.PT) {
            return new TextConverter(spec.columns());
        }
        return switch (spec.formatting()) {
            case ALPACA -> new AlpacaConverter(spec.columns(), spec.ranking());
            case SHAREGPT -> new SharegptConverter(spec.columns(), spec.tags(), spec.ranking());
        };
    }
}
