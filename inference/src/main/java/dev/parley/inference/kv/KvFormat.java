package dev.parley.inference.kv;

/** Element type of the paged KV cache. F32 is exact (what the llama.cpp oracle uses); F16 halves the memory. */
public enum KvFormat {
    F32(4),
    F16(2);

    public final int bytes;

    KvFormat(int bytes) {
        this.bytes = bytes;
    }
}
