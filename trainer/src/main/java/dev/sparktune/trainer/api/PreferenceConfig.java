package dev.sparktune.trainer.api;

import dev.sparktune.dl4j.preference.PreferenceLoss;
import java.io.Serializable;

/**
 * How a table of preference pairs (prep's {@code stage = dpo}) is trained, under LLaMA-Factory's keys: the loss, and
 * the reference model whose log-probs the reference pass wrote, or, with {@code ref_logprobs = adapters_off}, the
 * training model with its LoRA adapters off. A table of single documents ignores it. Holds the values as given;
 * {@link TrainConfig} checks them (every problem under its key) through {@link #loss()} and
 * {@link #checkReference}.
 *
 * @param prefLoss          pref_loss: sigmoid, hinge, ipo, orpo or simpo
 * @param beta              pref_beta
 * @param ftx               pref_ftx: the weight of the chosen response's SFT loss
 * @param labelSmoothing    dpo_label_smoothing (cDPO; sigmoid only)
 * @param simpoGamma        simpo_gamma
 * @param refModel          ref_model: the reference model directory; "" = the base model (model_name_or_path)
 * @param refModelAdapters  ref_model_adapters: a PEFT adapter merged into the reference first; "" = none
 * @param refLogprobsTable  the reference pass's Delta table; "" = the packed table's path + {@link #REF_TABLE_SUFFIX}
 * @param refLogprobs       ref_logprobs: where the reference log-probs come from; null = {@link RefLogprobsSource#TABLE}
 */
public record PreferenceConfig(
        String prefLoss,
        double beta,
        double ftx,
        double labelSmoothing,
        double simpoGamma,
        String refModel,
        String refModelAdapters,
        String refLogprobsTable,
        RefLogprobsSource refLogprobs)
        implements Serializable {
    /** Where the reference pass writes by default, beside the packed table. */
    public static final String REF_TABLE_SUFFIX = "_ref_logprobs";

    public PreferenceConfig {
        prefLoss = prefLoss == null ? "" : prefLoss.strip();
        refModel = refModel == null ? "" : refModel.strip();
        refModelAdapters = refModelAdapters == null ? "" : refModelAdapters.strip();
        refLogprobsTable = refLogprobsTable == null ? "" : refLogprobsTable.strip();
        refLogprobs = refLogprobs == null ? RefLogprobsSource.TABLE : refLogprobs;
    }

    /** LLaMA-Factory's defaults: sigmoid (DPO), β 0.1, no SFT term, no label smoothing, γ 0.5; the base as reference. */
    public static PreferenceConfig defaults() {
        PreferenceLoss d = PreferenceLoss.defaults(PreferenceLoss.Type.SIGMOID);
        return new PreferenceConfig(
                d.type().key(), d.beta(), d.ftx(), d.labelSmoothing(), d.simpoGamma(), "", "", "", null);
    }

    /**
     * The loss these settings define.
     *
     * @throws IllegalArgumentException a value is out of range; the message begins with its key
     */
    public PreferenceLoss loss() {
        return new PreferenceLoss(PreferenceLoss.Type.parse(prefLoss), beta, labelSmoothing, simpoGamma, ftx);
    }

    /** Whether the reference is the training model with its LoRA adapters off, computed in the step. */
    public boolean adaptersOff() {
        return refLogprobs == RefLogprobsSource.ADAPTERS_OFF;
    }

    /**
     * The rules of the reference keys among themselves: ref_logprobs = adapters_off takes the base model
     * ({@code modelPath}) without any adapter as the reference, so ref_model may only name that model and
     * ref_model_adapters must be empty. (A continued adapter, adapter_name_or_path, is fine: the reference is then the
     * base without it, as in the table mode's default and LLaMA-Factory's disable_adapter().) That it needs
     * finetuning_type = lora is {@link TrainConfig}'s rule.
     *
     * @throws IllegalArgumentException a rule is broken; the message begins with the key to change
     */
    public void checkReference(String modelPath) {
        if (!adaptersOff()) {
            return;
        }
        if (namesRefModel() && !sameModel(refModel, modelPath)) {
            throw new IllegalArgumentException("ref_model = \"" + refModel + "\" is another model than "
                    + "model_name_or_path, but ref_logprobs = adapters_off takes the base model with the adapters off "
                    + "as the reference: unset ref_model, or set ref_logprobs = table and score ref_model with "
                    + "`sparktune ref-logprobs`");
        }
        if (!refModelAdapters.isEmpty()) {
            throw new IllegalArgumentException("ref_model_adapters = \"" + refModelAdapters + "\" cannot be merged "
                    + "into an adapters-off reference (ref_logprobs = adapters_off: the base model without any "
                    + "adapter): unset ref_model_adapters, or set ref_logprobs = table and score that reference with "
                    + "`sparktune ref-logprobs`");
        }
    }

    /** The same directory, written with or without a trailing slash. */
    private static boolean sameModel(String a, String b) {
        return b != null && a.replaceAll("/+$", "").equals(b.strip().replaceAll("/+$", ""));
    }

    /** Whether ref_model names the reference; when not, the base model is the reference. */
    public boolean namesRefModel() {
        return !refModel.isEmpty();
    }

    /** The reference model: ref_model, else the base model {@code modelPath}. */
    public String refModelOr(String modelPath) {
        return namesRefModel() ? refModel : modelPath;
    }

    /** These settings with ref_model fixed to {@link #refModelOr}({@code modelPath}). */
    public PreferenceConfig withReferenceOf(String modelPath) {
        return new PreferenceConfig(
                prefLoss,
                beta,
                ftx,
                labelSmoothing,
                simpoGamma,
                refModelOr(modelPath),
                refModelAdapters,
                refLogprobsTable,
                refLogprobs);
    }

    /** The reference log-probs table of packed table {@code table}: ref_logprobs_table, else beside it. */
    public String refLogprobsTableOf(String table) {
        return refLogprobsTable.isEmpty() ? table + REF_TABLE_SUFFIX : refLogprobsTable;
    }

    /** What a checkpoint of a preference run must have been trained with (beside the reference's log-probs). */
    public String describe() {
        return "pref_loss=" + prefLoss + ", pref_beta=" + beta + ", pref_ftx=" + ftx + ", dpo_label_smoothing="
                + labelSmoothing
                + (PreferenceLoss.Type.SIMPO.key().equals(prefLoss) ? ", simpo_gamma=" + simpoGamma : "");
    }
}
