package dev.parley.server.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.parley.server.model.ToolCall;
import dev.parley.server.tools.ToolCallChunk;
import io.micronaut.serde.annotation.Serdeable;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's chat-completions and (legacy) completions request, response, chunk and error bodies, field for field. Micronaut
 * Serde leaves out null and empty values unless a field says ALWAYS: those are the fields OpenAI always sends.
 */
public final class OpenAiFormat {
    private OpenAiFormat() {}

    /** {@code stop} is a string or an array; {@code content} a string or an array of {type:text,text} parts. */
    @Serdeable
    public record ChatCompletionRequest(String model, List<Message> messages, Boolean stream,
                                        @JsonProperty("stream_options") StreamOptions streamOptions,
                                        @JsonProperty("max_tokens") Integer maxTokens,
                                        @JsonProperty("max_completion_tokens") Integer maxCompletionTokens,
                                        Double temperature, @JsonProperty("top_p") Double topP,
                                        @JsonProperty("top_k") Integer topK, @JsonProperty("min_p") Double minP,
                                        Long seed, Object stop,
                                        @JsonProperty("presence_penalty") Double presencePenalty,
                                        @JsonProperty("frequency_penalty") Double frequencyPenalty,
                                        @JsonProperty("logit_bias") Map<String, Double> logitBias,
                                        Boolean logprobs, @JsonProperty("top_logprobs") Integer topLogprobs, Integer n,
                                        Object tools, @JsonProperty("tool_choice") Object toolChoice,
                                        @JsonProperty("parallel_tool_calls") Boolean parallelToolCalls,
                                        @JsonProperty("chat_template_kwargs") Map<String, Object> chatTemplateKwargs,
                                        @JsonProperty("ignore_eos") Boolean ignoreEos)
            implements SamplingFields {
        /** OpenAI's newer name wins over the older one; none = up to the context. */
        @Override public Integer tokenLimit() { return maxCompletionTokens != null ? maxCompletionTokens : maxTokens; }
    }

    /** The sampling fields both endpoints share (their request records implement it with the same JSON names). */
    public interface SamplingFields {
        /** max_tokens as the endpoint defines it; null = no limit but the context. */
        Integer tokenLimit();
        Double temperature();
        Double topP();
        Integer topK();
        Double minP();
        Long seed();
        Object stop();
        Double presencePenalty();
        Double frequencyPenalty();
        Map<String, Double> logitBias();
        Integer n();
        /** Not OpenAI's: llama.cpp's and vLLM's extension, generating past end-of-generation tokens (benchmarks use it). */
        Boolean ignoreEos();
    }

    /**
     * The legacy {@code /v1/completions} request. {@code prompt} is a string or an array holding one string;
     * {@code logprobs} is a number here (0–5 alternatives), not a flag.
     */
    @Serdeable
    public record CompletionRequest(String model, Object prompt, Boolean stream,
                                    @JsonProperty("stream_options") StreamOptions streamOptions,
                                    @JsonProperty("max_tokens") Integer maxTokens,
                                    Double temperature, @JsonProperty("top_p") Double topP,
                                    @JsonProperty("top_k") Integer topK, @JsonProperty("min_p") Double minP,
                                    Long seed, Object stop,
                                    @JsonProperty("presence_penalty") Double presencePenalty,
                                    @JsonProperty("frequency_penalty") Double frequencyPenalty,
                                    @JsonProperty("logit_bias") Map<String, Double> logitBias,
                                    Integer logprobs, Boolean echo, String suffix,
                                    @JsonProperty("best_of") Integer bestOf, Integer n,
                                    @JsonProperty("ignore_eos") Boolean ignoreEos) implements SamplingFields {
        /** OpenAI's legacy default is 16 tokens, which clients of this endpoint expect. */
        static final int DEFAULT_MAX_TOKENS = 16;

        @Override public Integer tokenLimit() { return maxTokens != null ? maxTokens : DEFAULT_MAX_TOKENS; }
    }

    @Serdeable
    public record TextCompletion(String id, String object, long created, String model,
                                 @JsonInclude(JsonInclude.Include.ALWAYS) List<TextChoice> choices,
                                 @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {}

    @Serdeable
    public record TextChoice(@JsonInclude(JsonInclude.Include.ALWAYS) String text, int index,
                             @JsonInclude(JsonInclude.Include.ALWAYS) TextLogprobs logprobs,
                             @JsonInclude(JsonInclude.Include.ALWAYS) @JsonProperty("finish_reason") String finishReason) {}

    /** The legacy logprobs shape: parallel arrays, alternatives as a token → logprob map. */
    @Serdeable
    public record TextLogprobs(@JsonInclude(JsonInclude.Include.ALWAYS) List<String> tokens,
                               @JsonInclude(JsonInclude.Include.ALWAYS) @JsonProperty("token_logprobs") List<Double> tokenLogprobs,
                               @JsonInclude(JsonInclude.Include.ALWAYS) @JsonProperty("top_logprobs") List<Map<String, Double>> topLogprobs,
                               @JsonInclude(JsonInclude.Include.ALWAYS) @JsonProperty("text_offset") List<Integer> textOffset) {}

    /** {@code tool_calls} on an assistant message (calls it made); {@code tool_call_id} on a tool message (what it answers). */
    @Serdeable
    public record Message(String role, Object content, @JsonProperty("tool_calls") List<ToolCall> toolCalls,
                          @JsonProperty("tool_call_id") String toolCallId, String name) {}

    @Serdeable
    public record StreamOptions(@JsonProperty("include_usage") Boolean includeUsage) {}

    @Serdeable
    public record ChatCompletion(String id, String object, long created, String model, List<Choice> choices, Usage usage) {}

    @Serdeable
    public record Choice(int index, OutMessage message,
                         @JsonInclude(JsonInclude.Include.ALWAYS) Logprobs logprobs,
                         @JsonProperty("finish_reason") String finishReason) {}

    @Serdeable
    public record OutMessage(String role, @JsonInclude(JsonInclude.Include.ALWAYS) String content,
                             @JsonProperty("tool_calls") List<ToolCall> toolCalls,
                             @JsonProperty("reasoning_content") String reasoningContent) {
        public OutMessage(String role, String content, List<ToolCall> toolCalls) { this(role, content, toolCalls, null); }

        /** With a reasoning model's thinking (vLLM's and DeepSeek's field); null or empty = none. */
        public OutMessage withReasoning(String reasoning) {
            return new OutMessage(role, content, toolCalls, reasoning == null || reasoning.isEmpty() ? null : reasoning);
        }
    }

    @Serdeable
    public record Chunk(String id, String object, long created, String model,
                        @JsonInclude(JsonInclude.Include.ALWAYS) List<ChunkChoice> choices,
                        @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {}

    @Serdeable
    public record ChunkChoice(int index, Delta delta, @JsonInclude(JsonInclude.Include.ALWAYS) Logprobs logprobs,
                              @JsonInclude(JsonInclude.Include.ALWAYS) @JsonProperty("finish_reason") String finishReason) {}

    @Serdeable
    public record Delta(String role, String content, @JsonProperty("tool_calls") List<ToolCallChunk> toolCalls,
                        @JsonProperty("reasoning_content") String reasoningContent) {
        public Delta(String role, String content) { this(role, content, null, null); }
        public Delta(String role, String content, List<ToolCallChunk> toolCalls) { this(role, content, toolCalls, null); }
    }

    @Serdeable
    public record Logprobs(List<TokenLogprob> content) {}

    @Serdeable
    public record TokenLogprob(String token, double logprob, List<Integer> bytes,
                               @JsonProperty("top_logprobs") List<TopLogprob> topLogprobs) {}

    @Serdeable
    public record TopLogprob(String token, double logprob, List<Integer> bytes) {}

    @Serdeable
    public record Usage(@JsonProperty("prompt_tokens") int promptTokens, @JsonProperty("completion_tokens") int completionTokens,
                        @JsonProperty("total_tokens") int totalTokens,
                        @JsonProperty("prompt_tokens_details") PromptTokensDetails promptTokensDetails) {}

    /** {@code cached_tokens}: prompt tokens served from the prefix cache (always sent, 0 included, as OpenAI does). */
    @Serdeable
    public record PromptTokensDetails(@JsonInclude(JsonInclude.Include.ALWAYS) @JsonProperty("cached_tokens") int cachedTokens) {}

    @Serdeable
    public record ModelList(String object, List<ModelInfo> data) {}

    @Serdeable
    /** @param parent the base model a LoRA adapter is served on (vLLM's field); null for the base itself */
    public record ModelInfo(String id, String object, long created, @JsonProperty("owned_by") String ownedBy, String parent) {}

    @Serdeable
    public record ErrorBody(ErrorDetail error) {}

    @Serdeable
    public record ErrorDetail(String message, String type, @JsonInclude(JsonInclude.Include.ALWAYS) String param, String code) {}
}
