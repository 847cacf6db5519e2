/** Synthetic models with random weights of any shape and tensor type, for benchmarks and tests without downloads. */
package dev.parley.inference.forge;
