/** Training rows: the row contract the rank runtime consumes and the sources that provide them. */
package dev.sparktune.trainer.data;
