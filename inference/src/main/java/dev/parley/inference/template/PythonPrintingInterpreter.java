package dev.parley.inference.template;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpreterFactory;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.objects.SafeString;

/** Prints {@code {{ value }}} the way Python's {@code str()} does: {@code True}, {@code ['a', 1]}, {@code 1.0}. */
final class PythonPrintingInterpreter extends JinjavaInterpreter {
    PythonPrintingInterpreter(Jinjava application, Context context, JinjavaConfig config) {
        super(application, context, config);
    }

    PythonPrintingInterpreter(JinjavaInterpreter orig) {
        super(orig);
    }

    @Override
    public String getAsString(Object value) {
        if (value instanceof SafeString safe) return safe.toString();
        return PythonValues.str(value);
    }

    static final class Factory implements InterpreterFactory {
        @Override
        public JinjavaInterpreter newInstance(JinjavaInterpreter orig) {
            return new PythonPrintingInterpreter(orig);
        }

        @Override
        public JinjavaInterpreter newInstance(Jinjava application, Context context, JinjavaConfig config) {
            return new PythonPrintingInterpreter(application, context, config);
        }
    }
}
