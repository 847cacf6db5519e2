/** The paged KV cache: one off-heap arena cut into blocks, the block manager with reference counts and the prefix cache. */
package dev.parley.inference.kv;
