package dev.parley.server.model;

import dev.parley.inference.model.Model;
import dev.parley.inference.template.ChatTemplate;
import dev.parley.inference.template.DefaultTemplates;
import dev.parley.inference.tokenizer.Tokenizer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a conversation into prompt tokens with the model's chat template, the same way {@code parley generate --chat}
 * does: the model's own template, else the documented default (ChatML). Thread-safe; rendering is CPU work, so the
 * server calls it off the event loop.
 */
public final class ChatFormatter {
    private final ChatTemplate template;
    private final Tokenizer tokenizer;
    private final String bos;
    private final String eos;
    private final String templateName;
    private final String templateSource;
    /** Extra template variables of one request (chat_template_kwargs); empty for the shared formatter. */
    private final Map<String, Object> templateKwargs;

    public ChatFormatter(Model model, String overrideSource) {
        this.tokenizer = model.tokenizer();
        String source;
        if (overrideSource != null) {
            source = overrideSource;
            templateName = "override";
        } else if (model.chatTemplate() != null) {
            source = model.chatTemplate();
            templateName = "model";
        } else {
            source = DefaultTemplates.CHATML;
            templateName = "chatml (default: the model has none)";
        }
        this.templateSource = source;
        this.template = ChatTemplate.compile(source);
        this.bos = tokenizer.bosId() >= 0 ? tokenizer.tokenText(tokenizer.bosId()) : "";
        this.eos = tokenizer.eosId() >= 0 ? tokenizer.tokenText(tokenizer.eosId()) : "";
        this.templateKwargs = Map.of();
    }

    private ChatFormatter(ChatFormatter base, Map<String, Object> templateKwargs) {
        this.template = base.template;
        this.tokenizer = base.tokenizer;
        this.bos = base.bos;
        this.eos = base.eos;
        this.templateName = base.templateName;
        this.templateSource = base.templateSource;
        this.templateKwargs = templateKwargs;
    }

    /**
     * This formatter with extra variables for the template (a request's {@code chat_template_kwargs}, e.g. Qwen3's
     * {@code enable_thinking}); the caller has refused names the formatter sets itself.
     */
    public ChatFormatter withTemplateKwargs(Map<String, Object> kwargs) {
        return kwargs == null || kwargs.isEmpty() ? this : new ChatFormatter(this, kwargs);
    }

    public String templateName() { return templateName; }

    /** The Jinja source in use (the override, the model's, or the default), e.g. to tell which tool-call syntax it speaks. */
    public String templateSource() { return templateSource; }

    /** Prompt tokens for {@code messages} followed by the assistant's generation prompt; throws TemplateException. */
    public int[] promptTokens(List<ChatMessage> messages) {
        return promptTokens(messages, null);
    }

    /**
     * As {@link #promptTokens(List)}, the template also receiving {@code tools} (function definitions in OpenAI's
     * {@code {"type":"function","function":{...}}} shape, as Hugging Face {@code apply_chat_template(tools=...)} passes
     * them); null or empty = the variable stays undefined, so templates take their no-tools branch.
     */
    public int[] promptTokens(List<ChatMessage> messages, List<Map<String, Object>> tools) {
        List<Map<String, Object>> data = ChatMessage.templateData(messages);
        // a TemplateException (e.g. a template's raise_exception("roles must alternate")) is the client's fault: the
        // chat service answers it as bad_request
        Map<String, Object> variables = new HashMap<>(templateKwargs);
        if (tools != null && !tools.isEmpty()) variables.put("tools", tools);
        String rendered = template.render(data, true, bos, eos, null, variables);
        // the template usually writes BOS itself; adding another would double it
        boolean addSpecial = bos.isEmpty() || !rendered.startsWith(bos);
        return tokenizer.encode(rendered, addSpecial, true);
    }

    /** Tokens for a raw completion prompt (no template), BOS added as the vocabulary asks. */
    public int[] rawPromptTokens(String prompt) {
        return tokenizer.encode(prompt, true, false);
    }
}
