package dev.parley.inference.train;

import dev.parley.inference.gguf.GgufValue;
import dev.parley.inference.gguf.GgufWriter;
import dev.parley.inference.tensor.GgmlType;
import dev.parley.inference.tensor.Quantizer;
import java.nio.file.Path;

/**
 * A LoRA adapter as a GGUF in llama.cpp's adapter format (what its convert_lora_to_gguf.py writes and its
 * llama-adapter.cpp reads): {@code general.type = adapter}, {@code adapter.type = lora}, {@code adapter.lora.alpha}, the
 * base's {@code general.architecture}, and per adapted weight {@code blk.N.<tensor>.weight.lora_a} with GGUF shape
 * [in, R] and {@code .lora_b} with shape [R, out] (PEFT's A [R × in] and B [out × R], row-major), in F32. llama.cpp
 * computes W·x + (alpha/R)·B·(A·x), R being lora_b's first dimension: the delta {@link Lora} trains.
 */
final class LoraAdapterFile {
    private LoraAdapterFile() {}

    static void write(Lora lora, String architecture, String name, Path out) {
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.of(architecture));
        w.put("general.type", GgufValue.of("adapter"));
        w.put("general.name", GgufValue.of(name));
        w.put("adapter.type", GgufValue.of("lora"));
        w.put("adapter.lora.alpha", GgufValue.f32(lora.alpha));
        for (Param p : lora.params)
            w.addTensor(p.name, GgmlType.F32, new long[] {p.cols, p.rows},
                    seg -> Quantizer.quantize(GgmlType.F32, p.w, p.w.length, seg, 0));
        w.write(out);
    }
}
