/** Weight matrices, one final class per GGML tensor format, with their dot-product and batched matmul kernels and quantization. */
package dev.parley.inference.tensor;
