package dev.parley.inference.template;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import java.util.Properties;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.tree.TreeBuilder;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ExpressionFactory;

/**
 * The single Jinjava engine configured like transformers' {@code ImmutableSandboxedEnvironment(trim_blocks=True,
 * lstrip_blocks=True, extensions=[loopcontrols])} with its chat-template globals and filters.
 */
final class HuggingFaceJinjava {
    private HuggingFaceJinjava() {}

    static final Jinjava ENGINE = create();

    /** Serves an expression factory whose parser uses Python's operator typing (see PythonOperators). */
    private static final class PythonOperatorJinjava extends Jinjava {
        private final ExpressionFactory expressionFactory;

        PythonOperatorJinjava(JinjavaConfig config) {
            super(config);
            Properties properties = new Properties();
            properties.setProperty(TreeBuilder.class.getName(), PythonSyntaxBuilder.class.getName());
            // Jinjava's own setting: no parse cache across expressions.
            properties.setProperty("jinjava.javax.el.cacheSize", "0");
            this.expressionFactory = new ExpressionFactoryImpl(properties, new TruthyTypeConverter());
        }

        @Override
        public ExpressionFactory getExpressionFactory() {
            return expressionFactory;
        }
    }

    private static Jinjava create() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethodResolver());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);

        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                // lstrip_blocks is applied by TemplateSourceRewriter: Jinjava's also strips mid-line whitespace.
                .withLstripBlocks(false)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        // jinja2's {{- -}} trimming; without it most Llama/Mistral/Hermes prompts differ in whitespace.
                        .withUseTrimmingForNotesAndExpressions(true)
                        // Python iterates a dict's keys.
                        .withIterateOverMapKeys(true)
                        .build())
                // Message content is data: with nested interpretation Jinjava would render "{{ 7*7 }}" inside it.
                .withNestedInterpretationEnabled(false)
                // jinja2 drops the source's final newline, not the output's; TemplateSourceRewriter does that.
                .withKeepTrailingNewline(true)
                .withEnableRecursiveMacroCalls(true)
                .withMaxMacroRecursionDepth(50)
                .withElResolver(resolver)
                .withInterperterFactory(new PythonPrintingInterpreter.Factory())
                .build();

        Jinjava jinjava = new PythonOperatorJinjava(config);
        jinjava.registerTag(new PythonForTag());
        jinjava.registerFilter(new ToJsonFilter());
        jinjava.registerFilter(new ItemsFilter());
        jinjava.registerFilter(new TrimFilter());
        jinjava.registerFilter(new StringFilter());
        jinjava.registerFilter(new IndentFilter());
        jinjava.registerExpTest(PythonIterableTests.iterable());
        jinjava.registerExpTest(PythonIterableTests.sequence());
        jinjava.registerFunction(TemplateGlobals.raiseExceptionFunction());
        jinjava.registerFunction(TemplateGlobals.strftimeNowFunction());
        return jinjava;
    }
}
