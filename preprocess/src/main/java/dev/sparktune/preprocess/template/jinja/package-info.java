/**
 * A Jinja2 engine for HF chat templates, rendering as transformers' chat-template environment does: lexer, parser, AST
 * ({@link dev.sparktune.preprocess.template.jinja.Node}) and interpreter, Python value semantics
 * ({@link dev.sparktune.preprocess.template.jinja.Py}), and the filters, tests, globals and str/list/dict methods
 * templates use. Start at {@link dev.sparktune.preprocess.template.jinja.JinjaTemplate}. The JDK and Jackson's JSON
 * tree (a tokenizer_config.json value becomes a template value in one place, {@code JinjaTemplate.valueOf}); of the
 * module it knows only the parent package's TemplateException and TextSpan.
 */
package dev.sparktune.preprocess.template.jinja;
