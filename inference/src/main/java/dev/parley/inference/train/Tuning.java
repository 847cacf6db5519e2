package dev.parley.inference.train;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What every fine-tuning objective shares: which weights train and how they move. Full fine-tuning trains every weight;
 * with a LoRA rank only the adapters train (and the embedding rows of tokens the tuning added, which have nothing to
 * start from). AdamW with warmup, cosine decay and clipping like {@link Trainer}, and no weight decay (a short fine-tune
 * should not pull the base weights toward zero).
 */
final class Tuning {
    /** lora rank 0 = full fine-tuning. */
    record Options(int batch, int steps, float lr, long seed, int loraRank, float loraAlpha) {
        Options {
            if (batch < 1 || steps < 1) throw new IllegalArgumentException("--batch and --steps must be at least 1");
            if (loraRank < 0) throw new IllegalArgumentException("--lora-rank " + loraRank + " must not be negative");
        }
    }

    final FineTuneBase base;
    final Options o;
    final Lora lora;
    private final List<Param> trainable = new ArrayList<>();
    private final AdamW adam;
    private int step;
    /** Tokens the training steps ran through the model (padding not counted). */
    private long tokens;
    private static final int MAGIC = 0x50525455; // "PRTU"

    Tuning(FineTuneBase base, Options o) {
        this.base = base;
        this.o = o;
        Llama model = base.llama;
        if (o.loraRank() > 0) {
            lora = new Lora(model, o.loraRank(), o.loraAlpha(), o.seed());
            model.attach(lora);
            trainable.addAll(lora.params);
            if (!base.addedTokens.isEmpty()) trainable.add(model.embedding);
            // everything else is frozen: no gradient is computed or allocated for it (the projections' the model skips itself)
            for (Param p : model.params) if (!trainable.contains(p)) p.noGradient = true;
        } else {
            if (base.frozen)
                throw new IllegalArgumentException("full fine-tuning needs the model in F32: load it unfrozen, or tune with a LoRA rank");
            lora = null;
            trainable.addAll(model.params);
        }
        adam = new AdamW(o.lr(), o.lr() / 10, Math.max(1, Math.min(100, o.steps() / 10)), o.steps(), 0f, 0.99f);
    }

    int stepsDone() { return step; }
    long tokensSeen() { return tokens; }
    float learningRate() { return adam.rate(step); }

    long trainableParameters() {
        long n = 0;
        for (Param p : trainable) n += p == base.llama.embedding ? (long) (p.rows - base.baseVocab) * p.cols : p.w.length;
        return n;
    }

    void zeroGradients() {
        base.llama.zeroGradients();
        if (lora != null) lora.zeroGradients();
    }

    /** One optimizer step with the gradients the objective left in the parameters, after a batch of {@code batchTokens} tokens. */
    void update(long batchTokens) {
        tokens += batchTokens;
        if (lora != null && !base.addedTokens.isEmpty() && base.llama.embedding.frozen == null) {
            // the base's own rows stay frozen: no gradient (and no weight decay) leaves them exactly as they were
            Param e = base.llama.embedding;
            Arrays.fill(e.g, 0, base.baseVocab * e.cols, 0f);
        }
        AdamW.clip(trainable, 1.0);
        adam.update(trainable, step);
        step++;
    }

    /**
     * Writes a checkpoint (atomically replacing {@code file}): the objective's name, the step, the tokens seen, every
     * trainable weight with its AdamW moments, and {@code curves}. The frozen weights are not in it: they come from the
     * model file, as when the run started.
     */
    void save(Path file, String objective, List<List<double[]>> curves) {
        Trainer.writeAtomically(file, out -> {
            out.writeInt(MAGIC);
            Trainer.writeStrings(out, new String[] {objective});
            out.writeInt(step);
            out.writeLong(tokens);
            out.writeInt(trainable.size());
            for (Param p : trainable) {
                Trainer.writeStrings(out, new String[] {p.name});
                out.writeInt(p.w.length);
                Trainer.writeFloats(out, p.w);
                Trainer.writeFloats(out, p.m());
                Trainer.writeFloats(out, p.v());
            }
            Trainer.writeCurves(out, curves);
        });
    }

    /**
     * Continues from a checkpoint {@link #save} wrote for the same objective, model and LoRA rank; batches then follow from
     * the seed and the step as in an uninterrupted run. IllegalArgumentException when the file does not fit this run.
     */
    void resume(Path file, String objective, List<List<double[]>> curves) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            if (in.readInt() != MAGIC) throw new IllegalArgumentException(file + ": not a parley tune checkpoint");
            String saved = Trainer.readStrings(in)[0];
            if (!saved.equals(objective))
                throw new IllegalArgumentException(file + ": a checkpoint of tune " + saved + ", not of tune " + objective);
            int savedStep = in.readInt();
            long savedTokens = in.readLong();
            if (in.readInt() != trainable.size()) throw mismatch(file);
            for (Param p : trainable) {
                if (!Trainer.readStrings(in)[0].equals(p.name) || in.readInt() != p.w.length) throw mismatch(file);
                Trainer.readFloats(in, p.w);
                Trainer.readFloats(in, p.m());
                Trainer.readFloats(in, p.v());
            }
            Trainer.readCurves(in, curves);
            step = savedStep;
            tokens = savedTokens;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static IllegalArgumentException mismatch(Path file) {
        return new IllegalArgumentException(file + ": the checkpoint's trainable weights differ from this run's (another model or "
                + "--lora-rank)");
    }

    /**
     * Folds the adapters into the base weights and detaches them; the model then computes what base plus adapters did. A
     * base frozen in its GGUF format keeps them attached: {@link FineTuneBase#write} folds them into each tensor it writes.
     */
    void mergeAdapters() {
        if (lora == null || base.frozen) return;
        lora.merge();
        base.llama.attach(null);
    }
}
