package dev.parley.inference.engine;

import dev.parley.inference.model.KvCache;
import dev.parley.inference.model.Model;
import dev.parley.inference.model.Transformer;
import dev.parley.inference.sampling.Sampler;
import dev.parley.inference.sampling.SamplingParams;
import dev.parley.inference.sampling.StopMatcher;
import dev.parley.inference.tokenizer.StreamDecoder;
import java.util.ArrayList;
import java.util.List;

/**
 * Generates one sequence to completion: prefill the prompt, then sample, stream and feed back one token at a time
 * until max tokens, an end-of-generation token (unless ignored), a stop string, or the context is full.
 */
public final class Generator {
    /** Receives text as soon as it is complete UTF-8 and cannot be the start of a stop string. */
    public interface Listener {
        void onText(String text);
    }

    public enum FinishReason { LENGTH, STOP, CONTEXT_FULL }

    public record Result(int[] promptTokens, int[] tokens, String text, FinishReason finishReason) {}

    private final Model model;
    private final Transformer transformer;

    public Generator(Model model, Transformer transformer) {
        this.model = model;
        this.transformer = transformer;
    }

    public Result generate(int[] prompt, SamplingParams params, Listener listener) {
        int ctx = model.config().contextLength();
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty");
        if (prompt.length >= ctx) throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens; the context holds " + ctx);
        int maxTokens = params.maxTokens() < 0 ? Integer.MAX_VALUE : params.maxTokens(); // -1: until the context is full
        int capacity = (int) Math.min(ctx, (long) prompt.length + maxTokens);
        Sampler sampler = new Sampler(params, model.config().vocabSize());
        for (int t : prompt) sampler.accept(t);
        StreamDecoder decoder = model.tokenizer().newStreamDecoder();
        StopMatcher stops = new StopMatcher(params.stop());
        StringBuilder text = new StringBuilder();
        List<Integer> out = new ArrayList<>();
        FinishReason reason = FinishReason.LENGTH;
        boolean stoppedByString = false;
        try (KvCache kv = model.newKvCache(capacity)) {
            float[] logits = transformer.forward(prompt, 0, kv, false)[0];
            int pos = prompt.length;
            while (true) {
                if (out.size() >= maxTokens) break;
                int token = sampler.sample(logits);
                if (!params.ignoreEos() && model.tokenizer().isEndOfGeneration(token)) { reason = FinishReason.STOP; break; }
                out.add(token);
                sampler.accept(token);
                StopMatcher.Result r = stops.feed(decoder.feed(token));
                emit(r.emit(), text, listener);
                if (r.stopped()) { reason = FinishReason.STOP; stoppedByString = true; break; }
                if (out.size() >= maxTokens) break;
                if (pos >= capacity) { reason = FinishReason.CONTEXT_FULL; break; }
                logits = transformer.forward(new int[] {token}, pos++, kv, false)[0];
            }
        }
        if (!stoppedByString) { // release text held back for a possible stop string or an unfinished UTF-8 sequence
            StopMatcher.Result tail = stops.feed(decoder.flush());
            emit(tail.emit(), text, listener);
            if (!tail.stopped()) emit(stops.flush(), text, listener);
        }
        return new Result(prompt, out.stream().mapToInt(Integer::intValue).toArray(), text.toString(), reason);
    }

    private static void emit(String s, StringBuilder text, Listener listener) {
        if (s == null || s.isEmpty()) return;
        text.append(s);
        listener.onText(s);
    }
}
