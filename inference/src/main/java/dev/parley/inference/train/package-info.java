/** Training the small built-in model: a Llama with gradients, AdamW, a BPE vocabulary builder and GGUF export. */
package dev.parley.inference.train;
