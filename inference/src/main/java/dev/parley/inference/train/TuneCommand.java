package dev.parley.inference.train;

import picocli.CommandLine.Command;

/** {@code parley tune}: the alignment stage after {@code parley train}. */
@Command(name = "tune", mixinStandardHelpOptions = true, subcommands = {SftCommand.class, DpoCommand.class, PrefsCommand.class, EvalCommand.class},
        description = "Fine-tune a model, full or LoRA: supervised fine-tuning on conversations (sft), preference optimization "
                + "on answer pairs (dpo); preference pairs ranked by a written rule set (prefs) and a model measured against it (eval).")
public final class TuneCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        spec.commandLine().usage(System.out);
    }
}
