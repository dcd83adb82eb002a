package dev.sparktune.trainer.eval;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/** What one Spark task measured on its rows; {@link #plus} folds them on the driver. */
record PartitionScore(long rows, long docs, long supervisedTokens, double lossSum, List<DocPrediction> predictions)
        implements Serializable {
    static final PartitionScore EMPTY = new PartitionScore(0, 0, 0, 0.0, List.of());

    PartitionScore plus(PartitionScore o) {
        List<DocPrediction> all = new ArrayList<>(predictions);
        all.addAll(o.predictions);
        return new PartitionScore(rows + o.rows, docs + o.docs, supervisedTokens + o.supervisedTokens,
                lossSum + o.lossSum, all);
    }
}
