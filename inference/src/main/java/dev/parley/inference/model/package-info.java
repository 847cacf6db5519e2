/** A loaded model: configuration, weights bound in place, and the batched transformer forward pass over the KV cache. */
package dev.parley.inference.model;
