package dev.parley.inference.template;

/** Templates used when a model ships none (documented in README: ChatML, the most widely used format). */
public final class DefaultTemplates {
    private DefaultTemplates() {}

    public static final String CHATML = """
            {%- for message in messages -%}
            {{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' -}}
            {%- endfor -%}
            {%- if add_generation_prompt -%}
            {{- '<|im_start|>assistant\\n' -}}
            {%- endif -%}
            """;
}
