package dev.parley.inference.cli;

import dev.parley.inference.engine.Completion;
import dev.parley.inference.engine.Engine;
import dev.parley.inference.engine.EngineConfig;
import dev.parley.inference.engine.GenerationListener;
import dev.parley.inference.engine.GenerationRequest;
import dev.parley.inference.engine.TokenEvent;
import dev.parley.inference.model.MatmulMode;
import dev.parley.inference.model.Model;
import dev.parley.inference.sampling.SamplingParams;
import dev.parley.inference.template.ChatTemplate;
import dev.parley.inference.template.DefaultTemplates;
import dev.parley.inference.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate text from a prompt, streaming it as it is sampled.")
final class GenerateCommand implements Callable<Integer> {
    @Mixin ModelOption model;

    @ArgGroup(exclusive = true, multiplicity = "1") Prompt prompt;

    static final class Prompt {
        @Option(names = "--prompt", paramLabel = "TEXT") String text;
        @Option(names = "--tokens", split = ",", paramLabel = "IDS",
                description = "comma-separated prompt token ids, used as given") int[] tokens;
    }

    @Option(names = "--chat", description = "wrap the prompt in the model's chat template (as a user message)") boolean chat;
    @Option(names = "--system", paramLabel = "TEXT", description = "system message for --chat") String system;
    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "256") int maxTokens;
    @Option(names = "--temperature", paramLabel = "T", description = "0 = greedy (default ${DEFAULT-VALUE})",
            defaultValue = "0.8") float temperature;
    @Option(names = "--top-k", paramLabel = "K", defaultValue = "40", description = "0 = off (default ${DEFAULT-VALUE})") int topK;
    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.95") float topP;
    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0.05") float minP;
    @Option(names = "--repeat-penalty", paramLabel = "X", defaultValue = "1.0") float repeatPenalty;
    @Option(names = "--presence-penalty", paramLabel = "X", defaultValue = "0") float presencePenalty;
    @Option(names = "--frequency-penalty", paramLabel = "X", defaultValue = "0") float frequencyPenalty;
    @Option(names = "--seed", paramLabel = "S", description = "random seed (default: random)") Long seed;
    @Option(names = "--stop", paramLabel = "TEXT", description = "stop string (repeatable)") List<String> stop = new ArrayList<>();
    @Option(names = "--ignore-eos", description = "keep generating past end-of-generation tokens") boolean ignoreEos;
    @Option(names = "--json",
            description = "print only {\"prompt_tokens\",\"tokens\",\"text\"} at the end (the stream goes to stderr)") boolean json;
    @Option(names = "--matmul", paramLabel = "MODE", defaultValue = "GGML", description = "GGML (default) or F32") MatmulMode mode;

    @Override public Integer call() {
        SamplingParams params = SamplingParams.builder()
                .temperature(temperature).topK(topK).topP(topP).minP(minP)
                .repetitionPenalty(repeatPenalty).presencePenalty(presencePenalty).frequencyPenalty(frequencyPenalty)
                .seed(seed != null ? seed : SamplingParams.RANDOM_SEED).maxTokens(maxTokens).stop(stop).ignoreEos(ignoreEos)
                .build();
        try (Model m = Model.load(model.resolve())) {
            int[] promptTokens = promptTokens(m);
            PrintStream stream = json ? System.err : new PrintStream(System.out, true, StandardCharsets.UTF_8);
            CompletableFuture<Completion> done = new CompletableFuture<>();
            Completion r;
            try (Engine engine = new Engine(m, new EngineConfig(1, 1, 512, mode))) {
                engine.submit(new GenerationRequest(promptTokens, params), new GenerationListener() {
                    @Override public void onToken(TokenEvent e) {
                        stream.print(e.text());
                        stream.flush();
                    }

                    @Override public void onComplete(Completion c) { done.complete(c); }

                    @Override public void onError(RuntimeException e) { done.completeExceptionally(e); }
                });
                r = join(done);
            }
            if (json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("prompt_tokens", promptTokens);
                out.put("tokens", r.generatedTokens());
                out.put("text", r.text());
                out.put("finish_reason", r.finishReason().name().toLowerCase());
                System.out.println(Json.write(out));
            } else {
                stream.println();
            }
        }
        return 0;
    }

    private static Completion join(CompletableFuture<Completion> done) {
        try {
            return done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        }
    }

    private int[] promptTokens(Model m) {
        if (prompt.tokens != null) {
            if (chat) throw new CliErrors.UsageException("--chat needs --prompt text, not --tokens");
            return prompt.tokens;
        }
        Tokenizer tok = m.tokenizer();
        if (!chat) return tok.encode(prompt.text, true, false);
        List<Map<String, Object>> messages = new ArrayList<>();
        if (system != null) messages.add(Map.of("role", "system", "content", system));
        messages.add(Map.of("role", "user", "content", prompt.text));
        String source = m.chatTemplate() != null ? m.chatTemplate() : DefaultTemplates.CHATML;
        String bos = tok.bosId() >= 0 ? tok.tokenText(tok.bosId()) : "";
        String eos = tok.eosId() >= 0 ? tok.tokenText(tok.eosId()) : "";
        String rendered = ChatTemplate.compile(source).render(messages, true, bos, eos, null, Map.of());
        // the template usually writes BOS itself; adding another would double it
        boolean addSpecial = bos.isEmpty() || !rendered.startsWith(bos);
        return tok.encode(rendered, addSpecial, true);
    }
}
