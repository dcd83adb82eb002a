/**
 * Chat templates: {@link dev.sparktune.preprocess.template.ChatTemplate} turns a conversation into model text plus the
 * assistant spans the model learns ({@link dev.sparktune.preprocess.template.RenderedConversation});
 * {@link dev.sparktune.preprocess.template.ChatTemplates} resolves {@code auto} (the tokenizer's own Jinja template) or
 * a named template shipped with the module. The Jinja engine itself is in the {@code jinja} subpackage.
 */
package dev.sparktune.preprocess.template;
