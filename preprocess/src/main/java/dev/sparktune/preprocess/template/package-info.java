/**
 * Chat templates: {@link dev.sparktune.preprocess.template.ChatTemplate} turns a conversation into model text plus the
 * assistant spans the model learns ({@link dev.sparktune.preprocess.template.RenderedConversation});
 * {@link dev.sparktune.preprocess.template.ChatTemplates} resolves {@code auto} (the tokenizer's own Jinja template) or
 * a LLaMA-Factory template name ({@link dev.sparktune.preprocess.template.LlamaFactoryTemplate}: definitions and
 * LLaMA-Factory's encode rules, giving its elements per turn for token-exact encoding). The Jinja engine itself is in
 * the {@code jinja} subpackage.
 */
package dev.sparktune.preprocess.template;
