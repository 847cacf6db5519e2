package dev.parley.inference.engine;

import dev.parley.inference.constrain.TokenMatcher;
import dev.parley.inference.model.Model;
import dev.parley.inference.sampling.Sampler;
import dev.parley.inference.sampling.StopMatcher;
import dev.parley.inference.tokenizer.Tokenizer;

/**
 * Turns a sequence's logits into output: samples the next token, detokenizes it, matches stop strings, streams the
 * released text to the request's listener and decides whether the request ends (end-of-generation token, stop
 * string, max tokens, full context). Every listener call goes through here or {@link #safely}, so a listener that
 * throws ends its own request and nothing else.
 *
 * <p>A constrained sequence (one whose request carries a grammar) has its row masked to the tokens its matcher
 * allows before sampling, and its matcher advances on the sampled token; it ends with STOP as soon as its output is
 * complete and nothing more may follow. Unconstrained rows skip all of that: a null check is their whole cost.
 */
final class OutputProcessor {
    private final Tokenizer tokenizer;
    private final int contextLength;
    /** The allowed-token mask of the row being sampled (one row at a time: only the engine thread samples). */
    private final long[] mask;

    OutputProcessor(Model model) {
        this.tokenizer = model.tokenizer();
        this.contextLength = model.config().contextLength();
        // as wide as the logits (ids past the tokenizer's vocabulary stay banned) or the tokenizer, whichever is wider
        this.mask = new long[(Math.max(model.config().vocabSize(), tokenizer.vocabSize()) + 63) >>> 6];
    }

    /** Samples {@code seq}'s next token from {@code logits} and appends it, or finishes the sequence. */
    void process(Sequence seq, float[] logits) {
        safely(seq, () -> sample(seq, logits));
    }

    private void sample(Sequence seq, float[] logits) {
        var params = seq.request().params();
        TokenMatcher matcher = seq.matcher();
        if (matcher != null) {
            if (grammarEnded(matcher)) { // a grammar whose only sentence is empty
                finish(seq, FinishReason.STOP, true);
                return;
            }
            restrict(matcher, logits);
        }
        int token = seq.sampler().sample(logits);
        seq.sampled();
        if (!params.ignoreEos() && tokenizer.isEndOfGeneration(token)) {
            finish(seq, FinishReason.STOP, true);
            return;
        }
        if (matcher != null) matcher.accept(token);
        seq.sampler().accept(token);
        seq.append(token);
        StopMatcher.Result released = seq.stops().feed(seq.decoder().feed(token));
        seq.text().append(released.emit());
        var logprobs = params.logprobs() > 0 ? seq.sampler().lastLogprobs() : null;
        seq.listener().onToken(new TokenEvent(token, released.emit(), logprobs));
        if (released.stopped()) finish(seq, FinishReason.STOP, false);
        else if (matcher != null && grammarEnded(matcher)) finish(seq, FinishReason.STOP, true);
        else if (seq.generatedCount() >= seq.maxTokens()) finish(seq, FinishReason.LENGTH, true);
        else if (seq.computedTokens() >= contextLength) finish(seq, FinishReason.CONTEXT_FULL, true);
    }

    /** Complete, and nothing may follow but end-of-generation: the output is done. */
    private static boolean grammarEnded(TokenMatcher matcher) {
        return matcher.isComplete() && !matcher.canContinue();
    }

    /** Bans every token the matcher does not allow next. */
    private void restrict(TokenMatcher matcher, float[] logits) {
        matcher.allowedTokens(mask);
        int words = matcher.maskWords();
        java.util.Arrays.fill(mask, words, mask.length, 0L);
        boolean any = false;
        for (int w = 0; w < words && !any; w++) any = mask[w] != 0;
        if (!any) {
            throw new IllegalStateException("the grammar allows no token of this model's vocabulary here "
                    + "(it needs text the vocabulary cannot spell)");
        }
        Sampler.keepOnlyAllowed(logits, mask);
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
