package dev.parley.server.openai;

import dev.parley.inference.engine.EmbeddingListener;
import dev.parley.inference.engine.RequestHandle;
import dev.parley.server.chat.ChatException;
import dev.parley.server.chat.ChatService;
import dev.parley.server.chat.ErrorCode;
import io.vertx.core.Context;
import io.vertx.ext.web.RoutingContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * {@code POST /v1/embeddings}: every input of a request is tokenized off the event loop, then submitted to the engine
 * at once, so they are prefilled together in the same steps as everything else running; the pooled, normalized
 * vectors come back on the request's context and are answered in input order. A dropped connection cancels the
 * inputs not yet done; a refused input cancels the others and answers the refusal.
 */
final class Embeddings {
    /** OpenAI's own cap on inputs per request. */
    static final int MAX_INPUTS = 2048;

    private final RoutingContext ctx;
    private final ChatService chat;
    private final boolean base64;
    private final Context context;
    private final List<RequestHandle> handles = new ArrayList<>();
    private float[][] vectors;
    private int done, tokens;
    private boolean ended;

    private Embeddings(RoutingContext ctx, ChatService chat, boolean base64) {
        this.ctx = ctx;
        this.chat = chat;
        this.base64 = base64;
        this.context = ctx.vertx().getOrCreateContext();
    }

    static void handle(RoutingContext ctx, ChatService chat) {
        List<Object> inputs;
        boolean base64;
        try {
            EmbeddingFormat.Request req = OpenAiApi.body(ctx, EmbeddingFormat.Request.class);
            inputs = inputs(req.input());
            base64 = base64(req.encodingFormat());
            int dim = chat.model().model().config().dim();
            if (req.dimensions() != null && req.dimensions() != dim) {
                throw OpenAiApi.bad("dimensions is not supported: this model's embeddings have " + dim
                        + " dimensions (got " + req.dimensions() + "); leave it out or send " + dim);
            }
        } catch (ChatException e) {
            OpenAiApi.fail(ctx, e);
            return;
        }
        Embeddings request = new Embeddings(ctx, chat, base64);
        ctx.vertx().executeBlocking(() -> request.tokenize(inputs), false).onComplete(ar -> {
            if (ar.failed()) OpenAiApi.fail(ctx, ar.cause());
            else request.submit(ar.result());
        });
    }

    /** A string, token ids, or a non-empty array of either: one entry per input. */
    private static List<Object> inputs(Object input) {
        if (input instanceof String) return List.of(input);
        if (!(input instanceof List<?> list) || list.isEmpty()) {
            throw OpenAiApi.bad("'input' must be a string, an array of strings, an array of token ids or an array of such arrays");
        }
        if (list.stream().allMatch(x -> x instanceof Number)) return List.of(list);
        if (list.size() > MAX_INPUTS) throw OpenAiApi.bad("'input' has " + list.size() + " entries; at most " + MAX_INPUTS);
        for (int i = 0; i < list.size(); i++) {
            Object entry = list.get(i);
            boolean ids = entry instanceof List<?> l && !l.isEmpty() && l.stream().allMatch(x -> x instanceof Number);
            if (!(entry instanceof String) && !ids) {
                throw OpenAiApi.bad("input[" + i + "] must be a string or a non-empty array of token ids");
            }
        }
        return new ArrayList<>(list);
    }

    private static boolean base64(String format) {
        if (format == null || format.equals("float")) return false;
        if (format.equals("base64")) return true;
        throw OpenAiApi.bad("encoding_format must be float or base64 (got '" + format + "')");
    }

    /** Worker thread: each input's tokens (BOS/EOS as the vocabulary asks), checked against the context. */
    private List<int[]> tokenize(List<Object> inputs) {
        var tokenizer = chat.model().model().tokenizer();
        int context = chat.model().contextLength(), vocab = chat.model().model().config().vocabSize();
        List<int[]> out = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            int[] ids;
            if (inputs.get(i) instanceof String text) {
                if (text.isEmpty()) throw OpenAiApi.bad("input[" + i + "] is empty");
                ids = tokenizer.encode(text, true, false);
            } else {
                List<?> list = (List<?>) inputs.get(i);
                ids = new int[list.size()];
                for (int t = 0; t < ids.length; t++) {
                    long id = ((Number) list.get(t)).longValue();
                    if (id < 0 || id >= vocab) throw OpenAiApi.bad("input[" + i + "]: token id " + id + " is out of range [0, " + vocab + ")");
                    ids[t] = (int) id;
                }
            }
            if (ids.length == 0) throw OpenAiApi.bad("input[" + i + "] has no tokens");
            if (ids.length > context) {
                throw new ChatException(ErrorCode.CONTEXT_OVERFLOW, "input[" + i + "] has " + ids.length
                        + " tokens but the model's context holds " + context + "; shorten it");
            }
            out.add(ids);
        }
        return out;
    }

    /** Event loop: submits every input; a refusal cancels those already submitted. */
    private void submit(List<int[]> inputs) {
        if (ctx.response().closed()) return;
        vectors = new float[inputs.size()][];
        try {
            for (int i = 0; i < inputs.size(); i++) {
                int index = i;
                handles.add(chat.embed(inputs.get(i), new EmbeddingListener() {
                    @Override public void onEmbedding(float[] vector, int count) {
                        context.runOnContext(v -> embedded(index, vector, count));
                    }

                    @Override public void onError(RuntimeException error) {
                        context.runOnContext(v -> failed(error));
                    }
                }));
            }
        } catch (ChatException e) {
            failed(e);
            return;
        }
        ctx.response().closeHandler(v -> cancelAll()); // nobody to answer
    }

    private void embedded(int index, float[] vector, int count) {
        if (ended) return;
        vectors[index] = vector;
        tokens += count;
        if (++done < vectors.length) return;
        ended = true;
        List<EmbeddingFormat.Embedding> data = new ArrayList<>(vectors.length);
        for (int i = 0; i < vectors.length; i++) {
            data.add(new EmbeddingFormat.Embedding("embedding", i, base64 ? encode(vectors[i]) : vectors[i]));
        }
        OpenAiApi.json(ctx.response(), 200, new EmbeddingFormat.EmbeddingList("list", data, chat.model().name(),
                new EmbeddingFormat.Usage(tokens, tokens)));
    }

    private void failed(Throwable error) {
        if (ended) return;
        ended = true;
        cancelAll();
        OpenAiApi.fail(ctx, error);
    }

    private void cancelAll() {
        for (RequestHandle h : handles) h.cancel();
    }

    /** OpenAI's base64 form: the float32 values' little-endian bytes. */
    static String encode(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : vector) bytes.putFloat(v);
        return Base64.getEncoder().encodeToString(bytes.array());
    }
}
