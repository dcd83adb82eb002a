/**
 * The normalised training example every input format is converted to before a chat template renders it:
 * {@link dev.sparktune.preprocess.conversation.Conversation} of {@link dev.sparktune.preprocess.conversation.Message}s
 * (roles as HF chat templates name them, tool calls). Plain immutable records: no Spark, JSON or tokenizer here.
 */
package dev.sparktune.preprocess.conversation;
