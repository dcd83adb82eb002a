package dev.sparktune.preprocess.encode;

import dev.sparktune.preprocess.api.LabelOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.OptionalInt;

/**
 * Builds input_ids and labels from the (source, target) pairs of a conversation, with LLaMA-Factory's cutoff
 * semantics so a table prepared here trains like one prepared there: pairs are taken in order (last first with
 * mask_history) while budget remains, and each pair's source/target are cut in proportion by {@link #inferSeqlen}.
 */
final class SupervisedLabels {
    static final int IGNORE_INDEX = -100;

    private SupervisedLabels() {}

    /** Result: the token ids, their labels, and whether anything was cut. */
    record Labeled(int[] inputIds, int[] labels, boolean truncated) {}

    /**
     * @param pairs the conversation's pairs in order; a last pair without target holds text the template writes
     *              after the final turn (e.g. a closing EOS): it is kept as an untrained suffix, never counted as a
     *              turn (so mask_history still trains the real last turn)
     */
    static Labeled build(List<TurnPair> pairs, LabelOptions options) {
        if (pairs.size() > 1 && pairs.get(pairs.size() - 1).target().length == 0) {
            return build(
                    pairs.subList(0, pairs.size() - 1),
                    pairs.get(pairs.size() - 1).source(),
                    options);
        }
        return build(pairs, new int[0], options);
    }

    /** {@link #build(List, int[], LabelOptions, OptionalInt)} for a template without efficient_eos. */
    static Labeled build(List<TurnPair> turns, int[] suffix, LabelOptions options) {
        return build(turns, suffix, options, OptionalInt.empty());
    }

    /**
     * LLaMA-Factory's {@code SupervisedDatasetProcessor._encode_data_example} (processor/supervised.py).
     *
     * @param turns  every (source, target) pair of the conversation, in order
     * @param suffix untrained tokens after the last turn, kept while cutoff_len leaves room
     * @param efficientEos the eos id of a template with {@code efficient_eos}: one token of the budget is kept for
     *     it, it is appended (labelled) after the last turn, and the first source token of every turn after the first
     *     taken is labelled with it (LLaMA-Factory refuses train_on_prompt with such a template)
     */
    static Labeled build(List<TurnPair> turns, int[] suffix, LabelOptions options, OptionalInt efficientEos) {
        List<TurnPair> ordered = new ArrayList<>(turns);
        if (options.maskHistory()) {
            // last turns get the budget first; the result is reassembled in conversation order below
            Collections.reverse(ordered);
        }
        List<int[]> idParts = new ArrayList<>();
        List<int[]> labelParts = new ArrayList<>();
        int total = efficientEos.isPresent() ? 1 : 0;
        boolean truncated = false;
        for (int turn = 0; turn < ordered.size(); turn++) {
            TurnPair pair = ordered.get(turn);
            if (total >= options.cutoffLen()) {
                truncated = true;
                break;
            }
            int[] lens = inferSeqlen(pair.source().length, pair.target().length, options.cutoffLen() - total);
            int[] source = Arrays.copyOf(pair.source(), lens[0]);
            int[] target = Arrays.copyOf(pair.target(), lens[1]);
            truncated |= lens[0] < pair.source().length || lens[1] < pair.target().length;
            total += source.length + target.length;
            int[] sourceLabels = options.trainOnPrompt() ? source.clone() : ignored(source.length);
            if (efficientEos.isPresent() && turn != 0 && !options.trainOnPrompt() && source.length > 0) {
                sourceLabels[0] = efficientEos.getAsInt();
            }
            boolean historyTurn = options.maskHistory() && turn != 0;
            int[] targetLabels = historyTurn ? ignored(target.length) : target.clone();
            idParts.add(source);
            idParts.add(target);
            labelParts.add(sourceLabels);
            labelParts.add(targetLabels);
        }
        if (options.maskHistory()) {
            reversePairs(idParts);
            reversePairs(labelParts);
        }
        int[] keptSuffix = Arrays.copyOf(suffix, Math.min(suffix.length, Math.max(options.cutoffLen() - total, 0)));
        truncated |= keptSuffix.length < suffix.length;
        idParts.add(keptSuffix);
        labelParts.add(options.trainOnPrompt() ? keptSuffix.clone() : ignored(keptSuffix.length));
        total += keptSuffix.length;
        if (efficientEos.isPresent()) {
            idParts.add(new int[] {efficientEos.getAsInt()});
            labelParts.add(new int[] {efficientEos.getAsInt()});
        }
        return new Labeled(concat(idParts, total), concat(labelParts, total), truncated);
    }

    /**
     * LLaMA-Factory's {@code infer_seqlen}: if the target is short (under half the budget) only the source is cut;
     * else if the source is short only the target is cut; else both in proportion to their lengths.
     *
     * @return {new source length, new target length}
     */
    static int[] inferSeqlen(int sourceLen, int targetLen, int cutoffLen) {
        int maxTargetLen;
        if (targetLen * 2 < cutoffLen) {
            maxTargetLen = cutoffLen;
        } else if (sourceLen * 2 < cutoffLen) {
            maxTargetLen = cutoffLen - sourceLen;
        } else {
            maxTargetLen = (int) (cutoffLen * ((double) targetLen / (sourceLen + targetLen)));
        }
        int newTargetLen = Math.min(maxTargetLen, targetLen);
        int maxSourceLen = Math.max(cutoffLen - newTargetLen, 0);
        int newSourceLen = Math.min(maxSourceLen, sourceLen);
        return new int[] {newSourceLen, newTargetLen};
    }

    static int[] ignored(int length) {
        int[] labels = new int[length];
        Arrays.fill(labels, IGNORE_INDEX);
        return labels;
    }

    /** Parts were appended as (source, target) per turn in reversed turn order; restore conversation order. */
    private static void reversePairs(List<int[]> parts) {
        List<int[]> restored = new ArrayList<>(parts.size());
        for (int i = parts.size() - 2; i >= 0; i -= 2) {
            restored.add(parts.get(i));
            restored.add(parts.get(i + 1));
        }
        parts.clear();
        parts.addAll(restored);
    }

    private static int[] concat(List<int[]> parts, int total) {
        int[] out = new int[total];
        int at = 0;
        for (int[] part : parts) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }
}
