/**
 * The flat parameter layout shared by parameters, gradients and optimizer state, the views cut from flat buffers, and
 * what a tensor shape implies ({@link dev.sparktune.dl4j.params.TensorShape}).
 */
package dev.sparktune.dl4j.params;
