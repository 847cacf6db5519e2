package dev.parley.inference.train;

import dev.parley.inference.cli.ParleyCli;
import dev.parley.inference.tensor.GgmlType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

/** {@code parley tune ...} run in-process through the real command line, and a tiny base model to tune. */
final class TuneCli {
    record Run(int exit, String out, String err) {}

    private TuneCli() {}

    static Run run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cmd = ParleyCli.commandLine();
        cmd.setErr(new PrintWriter(err));
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        try {
            return new Run(cmd.execute(args), out.toString(), err.toString());
        } finally {
            System.setOut(saved);
        }
    }

    /** A one-layer model trained for 5 steps on a few sentences, exported without a chat template. */
    static Path tinyBase(Path dir) {
        String corpus = "the cat sat on the mat. the dog sat on the log. a bird sang in the tree.\n".repeat(30);
        Trainer tr = Trainer.create(corpus, new LlamaConfig(280, 32, 1, 2, 1, 64, 64), false,
                new Trainer.Options(4, 5, 1e-3f, 1e-4f, 1, 0.1f, 1f, 0.99f, 1, 0.1, 1));
        while (tr.stepsDone() < 5) tr.trainStep();
        Path base = dir.resolve("base.gguf");
        GgufExport.write(tr.model(), tr.vocabulary(), GgmlType.F32, "tiny", base);
        return base;
    }

    /** Two conversations about the tiny base's sentences, as sft reads them. */
    static Path conversations(Path dir) throws IOException {
        return Files.writeString(dir.resolve("train.jsonl"), """
                {"messages":[{"role":"user","content":"the cat"},{"role":"assistant","content":"sat on the mat"}]}
                {"messages":[{"role":"user","content":"the dog"},{"role":"assistant","content":"sat on the log"}]}
                """);
    }

    /** Two preference pairs about the tiny base's sentences, as dpo reads them. */
    static Path pairs(Path dir) throws IOException {
        return Files.writeString(dir.resolve("pairs.jsonl"), """
                {"messages":[{"role":"user","content":"the cat"}],"chosen":"sat on the mat","rejected":"sang in the tree"}
                {"messages":[{"role":"user","content":"the dog"}],"chosen":"sat on the log","rejected":"the cat"}
                """);
    }
}
