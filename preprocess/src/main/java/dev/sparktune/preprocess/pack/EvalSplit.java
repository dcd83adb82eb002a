package dev.sparktune.preprocess.pack;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * The deterministic train/eval split: a document is in eval iff its content hash (unsigned) is below a threshold.
 * Same inputs + seed give the same split on any cluster and partitioning, and identical documents never straddle
 * the two splits.
 */
public record EvalSplit(long threshold, boolean none) implements Serializable {
    private static final BigInteger TWO_TO_64 = BigInteger.ONE.shiftLeft(64);

    public static EvalSplit noEval() {
        return new EvalSplit(0L, true);
    }

    /** A fraction in (0, 1) of the hash space. */
    public static EvalSplit fraction(double valSize) {
        if (!(valSize > 0 && valSize < 1)) {
            throw new IllegalArgumentException("val_size fraction must be in (0,1), got " + valSize);
        }
        long threshold = new BigDecimal(valSize)
                .multiply(new BigDecimal(TWO_TO_64))
                .toBigInteger()
                .longValue();
        return new EvalSplit(threshold, false);
    }

    /** Everything strictly below {@code nthSmallestHash + 1}, i.e. the N documents with the smallest hashes. */
    public static EvalSplit belowOrAt(long nthSmallestHash) {
        return nthSmallestHash == -1L ? new EvalSplit(-1L, false) : new EvalSplit(nthSmallestHash + 1, false);
    }

    public boolean isEval(long contentHash) {
        if (none) {
            return false;
        }
        if (threshold == -1L) { // all-ones threshold from belowOrAt(max): everything
            return true;
        }
        return Long.compareUnsigned(contentHash, threshold) < 0;
    }
}
