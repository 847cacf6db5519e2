package dev.parley.inference.train;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Next-token pretraining on one text: the corpus tokenized once, split into train (first part) and validation (last
 * part), mini-batches of random context windows, AdamW with clipping. Every random choice derives from the seed and
 * the step number, so a resumed run draws the same batches as an uninterrupted one.
 */
public final class Trainer {
    /** Optimization settings. */
    public record Options(int batch, int steps, float lr, float minLr, int warmup, float weightDecay, float gradClip,
                          float beta2, long seed, double valSplit, int evalBatches) {
        public static Options defaults(int batch, int steps, float lr, long seed, double valSplit) {
            return new Options(batch, steps, lr, lr / 10, Math.max(1, Math.min(100, steps / 10)), 0.1f, 1f, 0.99f, seed, valSplit, 8);
        }
    }

    private static final int MAGIC = 0x50524b54; // "PRKT"

    final Llama model;
    final BpeVocabulary vocab;
    final Options o;
    final int[] train, val;
    private final AdamW adam;
    private int step;
    /** (step, loss) points: every training step and every validation. */
    final List<double[]> trainCurve = new ArrayList<>(), valCurve = new ArrayList<>();

    private Trainer(Llama model, BpeVocabulary vocab, Options o, String corpus) {
        this.model = model;
        this.vocab = vocab;
        this.o = o;
        int[] all = vocab.encode(corpus);
        int split = (int) Math.round(all.length * (1 - o.valSplit()));
        int t = model.c.context();
        if (split < t + 2 || (o.valSplit() > 0 && all.length - split < t + 2))
            throw new IllegalArgumentException("corpus too small: " + all.length + " tokens for context " + t);
        train = Arrays.copyOfRange(all, 0, split);
        val = Arrays.copyOfRange(all, split, all.length);
        adam = new AdamW(o.lr(), o.minLr(), o.warmup(), o.steps(), o.weightDecay(), o.beta2());
    }

    /** A fresh run: learns the vocabulary, then initializes the model from the seed. */
    public static Trainer create(String corpus, LlamaConfig shape, boolean charLevel, Options o) {
        BpeVocabulary vocab = BpeVocabulary.train(corpus, shape.vocab(), charLevel);
        LlamaConfig c = new LlamaConfig(vocab.size(), shape.dim(), shape.layers(), shape.heads(), shape.kvHeads(), shape.ffn(), shape.context());
        return new Trainer(new Llama(c, o.seed()), vocab, o, corpus);
    }

    public Llama model() { return model; }
    public BpeVocabulary vocabulary() { return vocab; }
    public int stepsDone() { return step; }
    public int trainTokens() { return train.length; }
    public int valTokens() { return val.length; }

    /** One optimizer step on a fresh batch; returns its training loss. */
    public double trainStep() {
        int b = o.batch(), t = model.c.context();
        int[] tokens = new int[b * t], targets = new int[b * t];
        sample(train, new SplittableRandom(o.seed() * 0x9E3779B97F4A7C15L + step), tokens, targets);
        model.zeroGradients();
        double loss = model.loss(tokens, targets, b, t, true);
        AdamW.clip(model.params, o.gradClip());
        adam.update(model.params, step);
        trainCurve.add(new double[] {step, loss});
        step++;
        return loss;
    }

    public float learningRate() { return adam.rate(step); }

    /** Mean loss on fixed validation windows (the same ones every time). */
    public double validate() {
        if (val.length == 0) return Double.NaN;
        int b = o.batch(), t = model.c.context();
        int[] tokens = new int[b * t], targets = new int[b * t];
        SplittableRandom rnd = new SplittableRandom(o.seed() ^ 0x5DEECE66DL);
        double sum = 0;
        for (int i = 0; i < o.evalBatches(); i++) {
            sample(val, rnd, tokens, targets);
            sum += model.loss(tokens, targets, b, t, false);
        }
        double loss = sum / o.evalBatches();
        valCurve.add(new double[] {step, loss});
        return loss;
    }

    private void sample(int[] data, SplittableRandom rnd, int[] tokens, int[] targets) {
        int t = model.c.context();
        for (int s = 0; s < tokens.length / t; s++) {
            int start = rnd.nextInt(data.length - t);
            System.arraycopy(data, start, tokens, s * t, t);
            System.arraycopy(data, start + 1, targets, s * t, t);
        }
    }

    /** Writes shape, vocabulary, step, weights, AdamW moments and the loss curves (atomically replacing {@code file}). */
    public void save(Path file) {
        writeAtomically(file, out -> {
            LlamaConfig c = model.c;
            out.writeInt(MAGIC);
            for (int v : new int[] {c.vocab(), c.dim(), c.layers(), c.heads(), c.kvHeads(), c.ffn(), c.context(), step}) out.writeInt(v);
            writeStrings(out, vocab.tokens());
            writeStrings(out, vocab.merges());
            for (Param p : model.params) {
                writeFloats(out, p.w);
                writeFloats(out, p.m());
                writeFloats(out, p.v());
            }
            writeCurves(out, List.of(trainCurve, valCurve));
        });
    }

    interface Body { void write(DataOutputStream out) throws IOException; }

    /** Writes {@code file} through a temporary file moved over it, so a crash mid-write leaves the previous checkpoint. */
    static void writeAtomically(Path file, Body body) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
            body.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void writeCurves(DataOutputStream out, List<List<double[]>> curves) throws IOException {
        for (List<double[]> curve : curves) {
            out.writeInt(curve.size());
            for (double[] pt : curve) { out.writeDouble(pt[0]); out.writeDouble(pt[1]); }
        }
    }

    static void readCurves(DataInputStream in, List<List<double[]>> curves) throws IOException {
        for (List<double[]> curve : curves) {
            int n = in.readInt();
            for (int i = 0; i < n; i++) curve.add(new double[] {in.readDouble(), in.readDouble()});
        }
    }

    /** Continues a saved run on the same corpus with the given options (the shape and vocabulary come from the file). */
    public static Trainer resume(Path file, String corpus, Options o) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            if (in.readInt() != MAGIC) throw new IllegalArgumentException(file + ": not a parley training checkpoint");
            int[] v = new int[8];
            for (int i = 0; i < 8; i++) v[i] = in.readInt();
            LlamaConfig c = new LlamaConfig(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
            BpeVocabulary vocab = new BpeVocabulary(readStrings(in), readStrings(in));
            Llama model = new Llama(c, o.seed());
            for (Param p : model.params) {
                readFloats(in, p.w);
                readFloats(in, p.m());
                readFloats(in, p.v());
            }
            Trainer tr = new Trainer(model, vocab, o, corpus);
            tr.step = v[7];
            readCurves(in, List.of(tr.trainCurve, tr.valCurve));
            return tr;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void writeStrings(DataOutputStream out, String[] s) throws IOException {
        out.writeInt(s.length);
        for (String x : s) {
            byte[] b = x.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            out.writeInt(b.length);
            out.write(b);
        }
    }

    static String[] readStrings(DataInputStream in) throws IOException {
        String[] s = new String[in.readInt()];
        for (int i = 0; i < s.length; i++) s[i] = new String(in.readNBytes(in.readInt()), java.nio.charset.StandardCharsets.UTF_8);
        return s;
    }

    static void writeFloats(DataOutputStream out, float[] a) throws IOException {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(a.length * 4);
        buf.asFloatBuffer().put(a);
        out.write(buf.array());
    }

    static void readFloats(DataInputStream in, float[] a) throws IOException {
        java.nio.ByteBuffer.wrap(in.readNBytes(a.length * 4)).asFloatBuffer().get(a);
    }
}
