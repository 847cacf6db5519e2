/** GGUF files: mapping, validating and reading metadata and tensor slices off-heap, and writing them (forge, train). */
package dev.parley.inference.gguf;
