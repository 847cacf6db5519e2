/** Parley's inference engine: loads GGUF models off-heap and generates tokens with Vector API kernels; knows nothing of the server. */
package dev.parley.inference;
