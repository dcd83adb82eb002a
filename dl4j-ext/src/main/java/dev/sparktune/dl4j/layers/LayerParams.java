package dev.sparktune.dl4j.layers;

import dev.sparktune.dl4j.params.ParamLayout;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A layer's window onto the model's flat parameter and gradient buffers: {@code value("q_proj.weight")} is the view
 * of {@code prefix + "q_proj.weight"} in the parameters, {@code grad(...)} the same entry in the gradients.
 *
 * @param layout        the model's layout
 * @param params        flat parameter buffer (FLOAT, or BFLOAT16 / HALF holding frozen weights)
 * @param gradLayout    the layout of {@code grads}: the trained parameters (all of {@code layout}, or a
 *                      {@link ParamLayout#subset} of it when some are frozen); a parameter it lacks gets no gradient
 * @param grads         flat gradient buffer, or null for frozen parameters (no gradients computed)
 * @param trainedParams the trained parameters' values in {@code gradLayout}, when they live apart from
 *                      {@code params} (freeze fine-tuning of a bf16 checkpoint: the frozen weights stay bf16 in
 *                      {@code params}, the trained ones are fp32 here); null when {@code params} holds them
 * @param prefix        e.g. {@code model.layers.3.self_attn.}
 */
public record LayerParams(
        ParamLayout layout,
        INDArray params,
        ParamLayout gradLayout,
        INDArray grads,
        INDArray trainedParams,
        String prefix) {
    public LayerParams {
        if (layout == null || params == null || gradLayout == null || prefix == null) {
            throw new IllegalArgumentException(
                    "layout, params, gradLayout and prefix are required (grads may be null:" + " frozen)");
        }
        if (trainedParams != null && grads == null) {
            throw new IllegalArgumentException("trainedParams are the values of the parameters that have gradients");
        }
    }

    /** The trained parameters' values in {@code params} itself. */
    public LayerParams(ParamLayout layout, INDArray params, ParamLayout gradLayout, INDArray grads, String prefix) {
        this(layout, params, gradLayout, grads, null, prefix);
    }

    /** Every parameter of {@code layout} trained (grads in the same layout), or none (grads null). */
    public LayerParams(ParamLayout layout, INDArray params, INDArray grads, String prefix) {
        this(layout, params, layout, grads, null, prefix);
    }

    public LayerParams child(String subPrefix) {
        return new LayerParams(layout, params, gradLayout, grads, trainedParams, prefix + subPrefix);
    }

    public boolean has(String name) {
        return layout.contains(prefix + name);
    }

    public INDArray value(String name) {
        String full = prefix + name;
        return trainedParams != null && gradLayout.contains(full)
                ? gradLayout.view(trainedParams, full)
                : layout.view(params, full);
    }

    /** The gradient view, or null when this parameter is frozen. */
    public INDArray grad(String name) {
        return grads == null || !gradLayout.contains(prefix + name) ? null : gradLayout.view(grads, prefix + name);
    }

    /** The value, or null when the layout has no such parameter (optional biases). */
    public INDArray valueOrNull(String name) {
        return has(name) ? value(name) : null;
    }

    public INDArray gradOrNull(String name) {
        return has(name) ? grad(name) : null;
    }
}
