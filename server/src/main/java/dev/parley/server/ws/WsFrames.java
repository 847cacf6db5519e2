package dev.parley.server.ws;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.parley.inference.sampling.SamplingParams;
import dev.parley.server.chat.ChatException;
import dev.parley.server.chat.ErrorCode;
import dev.parley.server.chat.SamplingRequest;
import dev.parley.server.model.ChatMessage;
import dev.parley.server.model.ToolCall;
import dev.parley.server.tools.ToolCallChunk;
import dev.parley.server.tools.ToolRequest;
import io.micronaut.serde.annotation.Serdeable;
import java.util.List;
import java.util.Map;

/** The WebSocket protocol's frames (server/PROTOCOL.md). Field names are fixed: apps and external checks rely on them. */
public final class WsFrames {
    private WsFrames() {}

    /**
     * Any client frame; which fields are required depends on {@code type}. {@code createSession}: on a chat, {@code session}
     * is an id the client proposes, created if the store does not have it (see {@link SessionIds}).
     */
    @Serdeable
    public record ClientFrame(String type, String id, String session, List<ChatMessage> messages, ChatParams params,
                              Integer index, String content, @JsonProperty("create_session") Boolean createSession) {}

    /** Sampling settings; absent fields take llama.cpp's defaults (SamplingParams.defaults()), max_tokens -1 = up to the context. */
    @Serdeable
    public record ChatParams(@JsonProperty("max_tokens") Integer maxTokens, Double temperature,
                             @JsonProperty("top_p") Double topP, @JsonProperty("top_k") Integer topK,
                             @JsonProperty("min_p") Double minP, Long seed, List<String> stop,
                             @JsonProperty("presence_penalty") Double presencePenalty,
                             @JsonProperty("frequency_penalty") Double frequencyPenalty,
                             @JsonProperty("ignore_eos") Boolean ignoreEos, Integer logprobs,
                             Object tools, @JsonProperty("tool_choice") Object toolChoice,
                             @JsonProperty("parallel_tool_calls") Boolean parallelToolCalls,
                             @JsonProperty("chat_template_kwargs") Map<String, Object> chatTemplateKwargs, Integer n,
                             String adapter) {

        /** Validated settings; an invalid value is a bad_request naming the field (SamplingParams' own messages). */
        public SamplingParams toSamplingParams() {
            if (logprobs != null && logprobs > 20)
                throw new ChatException(ErrorCode.BAD_REQUEST, "logprobs must be <= 20 (got " + logprobs + ")");
            return SamplingRequest.llamaCppDefaults("params.").maxTokens(maxTokens).temperature(temperature).topP(topP).topK(topK)
                    .minP(minP).seed(seed).stop(stop).presencePenalty(presencePenalty).frequencyPenalty(frequencyPenalty)
                    .ignoreEos(ignoreEos).logprobs(logprobs).build();
        }

        static SamplingParams defaults() {
            return new ChatParams(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null)
                    .toSamplingParams();
        }

        /** The request's tools as OpenAI's fields spell them (checked; none when absent). */
        public ToolRequest toolRequest() {
            return ToolRequest.parse(tools, toolChoice, parallelToolCalls, "params.");
        }
    }

    @Serdeable
    public record Hello(String type, String model, @JsonProperty("context_length") int contextLength, String server, String description) {
        public Hello(String model, int contextLength, String server, String description) { this("hello", model, contextLength, server, description); }
    }

    @Serdeable
    public record Started(String type, String id, String session, @JsonProperty("prompt_tokens") int promptTokens,
                          @JsonProperty("cached_tokens") int cachedTokens, @JsonProperty("queue_ms") long queueMs) {
        public Started(String id, String session, int promptTokens, int cachedTokens, long queueMs) {
            this("started", id, session, promptTokens, cachedTokens, queueMs);
        }
    }

    /**
     * {@code tokens} is present only when the request asked for logprobs; {@code tool_calls} only with pieces of tool
     * calls (then {@code text} is empty), shaped as OpenAI's stream deltas; {@code reasoning} only with a reasoning
     * model's thinking (then {@code text} is empty); {@code index} only when the request asked for several answers
     * ({@code params.n} > 1): which one the delta belongs to.
     */
    @Serdeable
    public record Delta(String type, String id, Integer index, @JsonInclude(JsonInclude.Include.ALWAYS) String text,
                        List<TokenInfo> tokens, @JsonProperty("tool_calls") List<ToolCallChunk> toolCalls, String reasoning) {
        public Delta(String id, Integer index, String text, List<TokenInfo> tokens) { this("delta", id, index, text, tokens, null, null); }

        public Delta(String id, Integer index, ToolCallChunk piece) { this("delta", id, index, "", null, List.of(piece), null); }

        static Delta reasoning(String id, Integer index, String reasoning, List<TokenInfo> tokens) {
            return new Delta("delta", id, index, "", tokens, null, reasoning);
        }
    }

    @Serdeable
    public record TokenInfo(@JsonInclude(JsonInclude.Include.ALWAYS) String text, double logprob, List<TopToken> top) {}

    @Serdeable
    public record TopToken(@JsonInclude(JsonInclude.Include.ALWAYS) String text, double logprob) {}

    /**
     * {@code tool_calls}: the reply's complete calls, when it made any (the same the deltas streamed); {@code index}:
     * which answer, only when the request asked for several (then one done frame per answer).
     */
    @Serdeable
    public record Done(String type, String id, Integer index, @JsonProperty("finish_reason") String finishReason, Usage usage,
                       Timings timings, @JsonProperty("tool_calls") List<ToolCall> toolCalls) {
        public Done(String id, Integer index, String finishReason, Usage usage, Timings timings) {
            this("done", id, index, finishReason, usage, timings, null);
        }
    }

    @Serdeable
    public record Usage(@JsonProperty("prompt_tokens") int promptTokens, @JsonProperty("completion_tokens") int completionTokens,
                        @JsonProperty("cached_tokens") int cachedTokens) {}

    /** {@code ttft_ms} is absent when no token was generated. */
    @Serdeable
    public record Timings(@JsonProperty("ttft_ms") Double ttftMs, @JsonProperty("decode_tokens_per_s") double decodeTokensPerS) {}

    @Serdeable
    public record Error(String type, String id, String code, String message, @JsonProperty("retry_after_ms") Long retryAfterMs) {
        public Error(String id, ChatException e) { this("error", id, e.code.wire, e.getMessage(), e.retryAfterMs); }
    }

    @Serdeable
    public record Pong(String type) {
        public Pong() { this("pong"); }
    }
}
