package dev.parley.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.micronaut.serde.annotation.Serdeable;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's chat-completions request, response, chunk and error bodies, field for field. Micronaut
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
                                        Boolean logprobs, @JsonProperty("top_logprobs") Integer topLogprobs, Integer n) {}

    @Serdeable
    public record Message(String role, Object content) {}

    @Serdeable
    public record StreamOptions(@JsonProperty("include_usage") Boolean includeUsage) {}

    @Serdeable
    public record ChatCompletion(String id, String object, long created, String model, List<Choice> choices, Usage usage) {}

    @Serdeable
    public record Choice(int index, OutMessage message,
                         @JsonInclude(JsonInclude.Include.ALWAYS) Logprobs logprobs,
                         @JsonProperty("finish_reason") String finishReason) {}

    @Serdeable
    public record OutMessage(String role, @JsonInclude(JsonInclude.Include.ALWAYS) String content) {}

    @Serdeable
    public record Chunk(String id, String object, long created, String model,
                        @JsonInclude(JsonInclude.Include.ALWAYS) List<ChunkChoice> choices,
                        @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {}

    @Serdeable
    public record ChunkChoice(int index, Delta delta, @JsonInclude(JsonInclude.Include.ALWAYS) Logprobs logprobs,
                              @JsonInclude(JsonInclude.Include.ALWAYS) @JsonProperty("finish_reason") String finishReason) {}

    @Serdeable
    public record Delta(String role, String content) {}

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
                        @JsonProperty("prompt_tokens_details") PromptTokensDetails promptTokensDetails) {
        public static Usage of(dev.parley.inference.engine.Completion c) {
            int completion = c.generatedTokens().length;
            return new Usage(c.promptTokens(), completion, c.promptTokens() + completion, new PromptTokensDetails(c.cachedTokens()));
        }
    }

    /** {@code cached_tokens}: prompt tokens served from the prefix cache (always sent, 0 included, as OpenAI does). */
    @Serdeable
    public record PromptTokensDetails(@JsonInclude(JsonInclude.Include.ALWAYS) @JsonProperty("cached_tokens") int cachedTokens) {}

    @Serdeable
    public record ModelList(String object, List<ModelInfo> data) {}

    @Serdeable
    public record ModelInfo(String id, String object, long created, @JsonProperty("owned_by") String ownedBy) {}

    @Serdeable
    public record ErrorBody(ErrorDetail error) {}

    @Serdeable
    public record ErrorDetail(String message, String type, @JsonInclude(JsonInclude.Include.ALWAYS) String param, String code) {}
}
