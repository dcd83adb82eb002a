/** The flat parameter layout shared by parameters, gradients and optimizer state. */
package dev.sparktune.dl4j.params;
