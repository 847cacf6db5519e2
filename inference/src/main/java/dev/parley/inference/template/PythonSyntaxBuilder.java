package dev.parley.inference.template;

import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.ext.AdditionOperator;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;

/** Jinjava's expression syntax with {@link PythonOperators} in place of its {@code +}, {@code *} and {@code %}. */
public final class PythonSyntaxBuilder extends ExtendedSyntaxBuilder {
    /** The EL factory instantiates builders reflectively with the configured features. */
    public PythonSyntaxBuilder(Builder.Feature... features) {
        super(features);
    }

    @Override
    protected Parser createParser(String expression) {
        return new PythonParser(this, expression);
    }

    private static final class PythonParser extends ExtendedParser {
        PythonParser(Builder context, String input) {
            super(context, input);
        }

        @Override
        protected AstBinary createAstBinary(AstNode left, AstNode right, AstBinary.Operator operator) {
            AstBinary.Operator python = operator;
            if (operator instanceof AdditionOperator || operator == AstBinary.ADD) python = PythonOperators.ADD;
            else if (operator == AstBinary.MUL) python = PythonOperators.MUL;
            else if (operator == AstBinary.MOD) python = PythonOperators.MOD;
            return super.createAstBinary(left, right, python);
        }
    }
}
