package dev.parley.inference.engine;

import dev.parley.inference.model.Model;
import dev.parley.inference.sampling.StopMatcher;
import dev.parley.inference.tokenizer.Tokenizer;

/**
 * Turns a sequence's logits into output: samples the next token, detokenizes it, matches stop strings, streams the
 * released text to the request's listener and decides whether the request ends (end-of-generation token, stop
 * string, max tokens, full context). Every listener call goes through here or {@link #safely}, so a listener that
 * throws ends its own request and nothing else.
 */
final class OutputProcessor {
    private final Tokenizer tokenizer;
    private final int contextLength;

    OutputProcessor(Model model) {
        this.tokenizer = model.tokenizer();
        this.contextLength = model.config().contextLength();
    }

    /** Samples {@code seq}'s next token from {@code logits} and appends it, or finishes the sequence. */
    void process(Sequence seq, float[] logits) {
        safely(seq, () -> sample(seq, logits));
    }

    private void sample(Sequence seq, float[] logits) {
        var params = seq.request().params();
        int token = seq.sampler().sample(logits);
        seq.sampled();
        if (!params.ignoreEos() && tokenizer.isEndOfGeneration(token)) {
            finish(seq, FinishReason.STOP, true);
            return;
        }
        seq.sampler().accept(token);
        seq.append(token);
        StopMatcher.Result released = seq.stops().feed(seq.decoder().feed(token));
        seq.text().append(released.emit());
        var logprobs = params.logprobs() > 0 ? seq.sampler().lastLogprobs() : null;
        seq.listener().onToken(new TokenEvent(token, released.emit(), logprobs));
        if (released.stopped()) finish(seq, FinishReason.STOP, false);
        else if (seq.generatedCount() >= seq.maxTokens()) finish(seq, FinishReason.LENGTH, true);
        else if (seq.computedTokens() >= contextLength) finish(seq, FinishReason.CONTEXT_FULL, true);
    }

    /** Ends the request; {@code flush} releases text held back for an unfinished UTF-8 sequence or a possible stop. */
    void finish(Sequence seq, FinishReason reason, boolean flush) {
        safely(seq, () -> {
            if (seq.isDone()) return;
            if (flush && seq.decoder() != null) {
                StopMatcher stops = seq.stops();
                StopMatcher.Result tail = stops.feed(seq.decoder().flush());
                String rest = tail.emit() + (tail.stopped() ? "" : stops.flush());
                if (!rest.isEmpty()) {
                    seq.text().append(rest);
                    seq.listener().onToken(new TokenEvent(-1, rest, null));
                }
            }
            seq.complete(reason);
        });
    }

    /** Ends the request with {@code error}. */
    void fail(Sequence seq, RuntimeException error) {
        safely(seq, () -> seq.fail(error));
    }

    /** Runs a callback of one sequence; a failure (or a throwing listener) ends that sequence only. */
    static void safely(Sequence seq, Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            try {
                seq.fail(e);
            } catch (RuntimeException ignored) {
                // the listener threw again; the sequence is finished either way
            }
        }
    }
}
