package dev.sparktune.dl4j.freeze;

import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelException;
import dev.sparktune.dl4j.params.ParamLayout;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Freeze fine-tuning settings (LLaMA-Factory's freeze_trainable_layers, freeze_trainable_modules,
 * freeze_extra_modules) and the parameters they train.
 *
 * <p>The selection is LLaMA-Factory's, name for name, so a recipe trains the same parameters here as there: decoder
 * layer {@code i} module {@code m} trains every parameter whose name contains {@code ".i.m"} ({@code ".i."} for
 * {@code all}); an extra module trains every parameter whose name contains it. That includes LLaMA-Factory's
 * substring reach: {@code norm} in freeze_extra_modules also trains every layer's {@code input_layernorm},
 * {@code post_attention_layernorm} and q/k norms, and {@code embed_tokens} of a tied model trains the lm_head too
 * (one tensor).
 *
 * @param trainableLayers  n &gt; 0: the last n decoder layers train; n &lt; 0: the first -n; 0: none (extra modules
 *                         only)
 * @param trainableModules module names inside a decoder layer ({@code self_attn}, {@code mlp},
 *                         {@code input_layernorm}, {@code post_attention_layernorm}), or {@code all}
 * @param extraModules     modules outside the decoder layers ({@code embed_tokens}, {@code norm}, and
 *                         {@code lm_head} for an untied model)
 */
public record FreezeConfig(int trainableLayers, List<String> trainableModules, List<String> extraModules)
        implements Serializable {
    private static final Pattern LAYER_INDEX = Pattern.compile("\\.\\d+\\.");

    public FreezeConfig {
        trainableModules = List.copyOf(trainableModules);
        extraModules = List.copyOf(extraModules);
        if (trainableModules.isEmpty()) {
            throw new IllegalArgumentException("freeze_trainable_modules must name at least one module, or \"all\"");
        }
        if (trainableLayers == 0 && extraModules.isEmpty()) {
            throw new IllegalArgumentException("freeze_trainable_layers = 0 and no freeze_extra_modules would train "
                    + "nothing; give n > 0 (the last n layers train), n < 0 (the first -n) or extra modules");
        }
    }

    /** From LLaMA-Factory's comma-separated strings ({@code extraModules} may be empty). */
    public static FreezeConfig of(int trainableLayers, String trainableModules, String extraModules) {
        return new FreezeConfig(trainableLayers, split(trainableModules), split(extraModules));
    }

    private static List<String> split(String list) {
        List<String> out = new ArrayList<>();
        for (String part : list == null ? new String[0] : list.split(",")) {
            if (!part.isBlank()) {
                out.add(part.strip());
            }
        }
        return out;
    }

    /**
     * The names of the parameters of {@code config}'s model that train, in layout order.
     *
     * @throws ModelException a module name the model does not have (naming the ones it has)
     */
    public Set<String> trainableNames(ModelConfig config) {
        ParamLayout layout = HfParamNames.layout(config);
        Set<String> hidden = new LinkedHashSet<>();
        Set<String> outside = new LinkedHashSet<>();
        for (ParamLayout.Entry e : layout.entries()) {
            String name = HfParamNames.inMemoryName(e.name()); // LLaMA-Factory matches transformers' names
            String inLayer =
                    name.contains(".0.") ? after(name, ".0.") : name.contains(".1.") ? after(name, ".1.") : null;
            if (inLayer != null) {
                hidden.add(inLayer.split("\\.")[0]);
            }
            if (!LAYER_INDEX.matcher(name).find()) {
                String[] parts = name.split("\\.");
                outside.add(parts[parts.length - 2]);
            }
        }
        int layers = config.numLayers();
        int from = trainableLayers > 0 ? Math.max(0, layers - trainableLayers) : 0;
        int to = trainableLayers > 0 ? layers : Math.min(-trainableLayers, layers);
        List<String> patterns = new ArrayList<>();
        for (String module : trainableModules) {
            if (!module.equals("all") && !hidden.contains(module)) {
                throw new ModelException("freeze_trainable_modules: \"" + module + "\" is not a module of "
                        + "this model's decoder layers; choose from " + String.join(", ", hidden) + " or all");
            }
            for (int l = from; l < to; l++) {
                patterns.add("." + l + "." + (module.equals("all") ? "" : module));
            }
        }
        for (String module : extraModules) {
            if (!outside.contains(module)) {
                throw new ModelException("freeze_extra_modules: \"" + module + "\" is not a module outside "
                        + "this model's decoder layers; choose from " + String.join(", ", outside));
            }
            patterns.add(module);
        }
        Set<String> trainable = new LinkedHashSet<>();
        for (ParamLayout.Entry e : layout.entries()) {
            if (patterns.stream().anyMatch(HfParamNames.inMemoryName(e.name())::contains)) {
                trainable.add(e.name());
            }
        }
        return trainable;
    }

    private static String after(String name, String marker) {
        return name.substring(name.lastIndexOf(marker) + marker.length());
    }
}
