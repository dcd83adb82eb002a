package dev.sparktune.trainer.checkpoint;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One contiguous range of the flat training state a rank holds: elements [start, start + length) of the trainable
 * parameters and of both AdamW moments, as views of the rank's buffers.
 *
 * @param start    first flat element (position in the trainable layout)
 * @param params   parameters [length]
 * @param expAvg   AdamW first moments [length]
 * @param expAvgSq AdamW second moments [length]
 */
public record StatePiece(long start, INDArray params, INDArray expAvg, INDArray expAvgSq) {
    public StatePiece {
        if (params.length() != expAvg.length() || params.length() != expAvgSq.length()) {
            throw new IllegalArgumentException("params and moments must have the same length, got " + params.length()
                    + ", " + expAvg.length() + ", " + expAvgSq.length());
        }
    }

    public long end() {
        return start + params.length();
    }
}
