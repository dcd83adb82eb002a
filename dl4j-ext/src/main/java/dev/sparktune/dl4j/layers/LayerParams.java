package dev.sparktune.dl4j.layers;

import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.params.Views;
import java.util.LinkedHashMap;
import java.util.Map;
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
 * @param parts         projections that are row ranges of a fused weight, by full module name
 *                      ({@code model.layers.3.self_attn.q_proj} → rows of {@code ...qkv_proj}); see {@link #withParts}
 */
public record LayerParams(
        ParamLayout layout,
        INDArray params,
        ParamLayout gradLayout,
        INDArray grads,
        INDArray trainedParams,
        String prefix,
        Map<String, HfParamNames.Part> parts) {
    public LayerParams {
        parts = parts == null ? Map.of() : Map.copyOf(parts);
        if (layout == null || params == null || gradLayout == null || prefix == null) {
            throw new IllegalArgumentException(
                    "layout, params, gradLayout and prefix are required (grads may be null:" + " frozen)");
        }
        if (trainedParams != null && grads == null) {
            throw new IllegalArgumentException("trainedParams are the values of the parameters that have gradients");
        }
    }

    public LayerParams(
            ParamLayout layout,
            INDArray params,
            ParamLayout gradLayout,
            INDArray grads,
            INDArray trainedParams,
            String prefix) {
        this(layout, params, gradLayout, grads, trainedParams, prefix, Map.of());
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
        return new LayerParams(layout, params, gradLayout, grads, trainedParams, prefix + subPrefix, parts);
    }

    /**
     * These parameters with {@code layerParts} ({@link HfParamNames#parts}, module names relative to this prefix)
     * addressable as {@code <part>.weight}: views of the fused weight's rows, and of its gradient's rows, so each
     * part's layer reads and accumulates into the one fused entry.
     */
    public LayerParams withParts(Map<String, HfParamNames.Part> layerParts) {
        Map<String, HfParamNames.Part> full = new LinkedHashMap<>(parts);
        layerParts.forEach((module, part) ->
                full.put(prefix + module, new HfParamNames.Part(prefix + part.fused(), part.from(), part.to())));
        return new LayerParams(layout, params, gradLayout, grads, trainedParams, prefix, full);
    }

    /** The fused projection whose rows parameter {@code name} (e.g. {@code q_proj.weight}) is, or null. */
    public HfParamNames.Part part(String name) {
        String full = prefix + name;
        return full.endsWith(".weight") ? parts.get(full.substring(0, full.length() - ".weight".length())) : null;
    }

    public boolean has(String name) {
        return layout.contains(prefix + name) || part(name) != null;
    }

    public INDArray value(String name) {
        HfParamNames.Part part = part(name);
        if (part != null) {
            return Views.rows(fullValue(part.fused() + ".weight"), part.from(), part.to());
        }
        return fullValue(prefix + name);
    }

    private INDArray fullValue(String full) {
        return trainedParams != null && gradLayout.contains(full)
                ? gradLayout.view(trainedParams, full)
                : layout.view(params, full);
    }

    /** The gradient view, or null when this parameter is frozen. */
    public INDArray grad(String name) {
        HfParamNames.Part part = part(name);
        String full = part != null ? part.fused() + ".weight" : prefix + name;
        if (grads == null || !gradLayout.contains(full)) {
            return null;
        }
        INDArray g = gradLayout.view(grads, full);
        return part != null ? Views.rows(g, part.from(), part.to()) : g;
    }

    /** The value, or null when the layout has no such parameter (optional biases). */
    public INDArray valueOrNull(String name) {
        return has(name) ? value(name) : null;
    }

    public INDArray gradOrNull(String name) {
        return has(name) ? grad(name) : null;
    }
}
