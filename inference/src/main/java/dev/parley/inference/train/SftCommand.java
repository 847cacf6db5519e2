package dev.parley.inference.train;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "sft", mixinStandardHelpOptions = true,
        description = "Supervised fine-tuning on conversations (JSON Lines {\"messages\":[{\"role\",\"content\"}...]}) rendered "
                + "through the model's chat template (ChatML when it has none), the loss on the assistant turns only; "
                + "writes a merged GGUF.")
final class SftCommand implements Callable<Integer> {
    @Mixin TuneOptions options;

    @Override public Integer call() throws Exception {
        TuneOptions op = options;
        try (FineTuneBase base = FineTuneBase.load(op.model, op.rank > 0)) {
            op.check(base);
            int context = base.llama.config().context();
            List<ChatEncoder.Example> train = SftData.read(op.data, base.encoder, context);
            List<ChatEncoder.Example> valSet = op.val == null ? null : SftData.read(op.val, base.encoder, context);
            long learned = train.stream().mapToLong(ChatEncoder.Example::learnedCount).sum();
            long total = train.stream().mapToLong(e -> e.tokens().length).sum();
            TuneOptions.printModel(base, "model", op.model);
            System.out.printf("data %d conversations, %,d tokens, %,d learned (assistant turns)%s%n", train.size(), total, learned,
                    valSet == null ? "" : "; validation " + valSet.size() + " conversations");
            SftTrainer tr = new SftTrainer(base, train, op.tuning());
            Tuning tuning = tr.tuning;
            op.printTuning(tuning);
            op.resumeIfAsked(tuning, "sft", tr.trainCurve, tr.valCurve);
            TuneOptions.Clock clock = TuneOptions.Clock.start(tuning);
            double valLoss = Double.NaN;
            if (valSet != null && tuning.stepsDone() == 0)
                System.out.printf("step %5d  validation loss %.4f%n", 0, valLoss = tr.validate(valSet));
            while (tuning.stepsDone() < op.steps) {
                float rate = tuning.learningRate();
                double loss = tr.trainStep();
                System.out.printf("step %5d/%d  loss %.4f  %s%n", tuning.stepsDone(), op.steps, loss, op.progress(tuning, rate, clock));
                if (op.evaluateAfter(tuning.stepsDone()))
                    System.out.printf("step %5d  validation loss %.4f%n", tuning.stepsDone(), valLoss = tr.validate(valSet));
                op.checkpointIfDue(tuning, "sft", tr.trainCurve, tr.valCurve);
            }
            List<Map<String, Object>> first = SftData.messages(op.firstLine());
            op.finish(base, tuning, tr.trainCurve, tr.valCurve, String.format("sft %s: %s, %d steps%s", op.data.getFileName(),
                    op.rank > 0 ? "LoRA r" + op.rank : "full", op.steps, valSet == null ? "" : String.format(", final val %.3f", valLoss)),
                    first.subList(0, firstAssistant(first)), clock);
        }
        return 0;
    }

    private static int firstAssistant(List<Map<String, Object>> messages) {
        for (int i = 0; i < messages.size(); i++) if ("assistant".equals(messages.get(i).get("role"))) return i;
        throw new IllegalStateException("validated conversations have an assistant turn");
    }
}
