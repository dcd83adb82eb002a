/** Model FLOPs of a training step and the measured GEMM peak: the two sides of MFU. */
package dev.sparktune.dl4j.flops;
