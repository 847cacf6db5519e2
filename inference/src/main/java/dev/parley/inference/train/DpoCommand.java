package dev.parley.inference.train;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "dpo", mixinStandardHelpOptions = true,
        description = "Direct Preference Optimization on preference pairs (JSON Lines " + PreferenceData.SHAPE + "), the answers "
                + "rendered as the assistant's reply through the model's chat template (ChatML when it has none); the reference is "
                + "frozen (the input model unless --ref); writes a merged GGUF.")
final class DpoCommand implements Callable<Integer> {
    /** The most memory the reference's cached distributions (for the KL) take: a quarter of the heap. */
    private static final double KL_CACHE_SHARE = 0.25;

    @Mixin TuneOptions options;
    @Option(names = "--beta", defaultValue = "0.1", paramLabel = "B",
            description = "how far the policy may move from the reference (DPO's β; default ${DEFAULT-VALUE})") float beta;
    @Option(names = "--ref", paramLabel = "REF.gguf", description = "the frozen reference model (default: the input model)") Path ref;

    @Override public Integer call() throws Exception {
        TuneOptions op = options;
        try (FineTuneBase policy = FineTuneBase.load(op.model, op.rank > 0)) {
            op.check(policy);
            int context = policy.llama.config().context();
            List<PreferenceData.Pair> train = PreferenceData.read(op.data, policy.encoder, context);
            List<PreferenceData.Pair> val = op.val == null ? null : PreferenceData.read(op.val, policy.encoder, context);
            TuneOptions.printModel(policy, "policy", op.model);
            long cache = (long) (Runtime.getRuntime().maxMemory() * KL_CACHE_SHARE);
            DpoTrainer tr;
            if (ref == null) {
                tr = new DpoTrainer(policy, policy, train, val, op.tuning(), beta, cache);
            } else {
                try (FineTuneBase reference = FineTuneBase.load(ref, true)) { // only run forward: frozen in its format
                    TuneOptions.printModel(reference, "reference", ref);
                    tr = new DpoTrainer(policy, reference, train, val, op.tuning(), beta, cache);
                }
            }
            System.out.printf("data %d pairs%s; reference log-probabilities computed once (%s), beta %s%n", train.size(),
                    val == null ? "" : ", validation " + val.size() + " pairs", ref == null ? "the input model" : ref.getFileName(), beta);
            System.out.printf("KL: %s; reference distributions cached for %,d of %,d answer tokens%s%n", DpoLoss.KL_ESTIMATOR,
                    tr.cachedTokens, tr.answerTokens, tr.cachedTokens < tr.answerTokens
                            ? " (a quarter of the heap; the KL counts the cached ones)" : "");
            Tuning tuning = tr.tuning;
            op.printTuning(tuning);
            op.resumeIfAsked(tuning, "dpo", tr.trainCurve, tr.valCurve);
            TuneOptions.Clock clock = TuneOptions.Clock.start(tuning);
            DpoLoss.Stats last = null;
            if (val != null && tuning.stepsDone() == 0) System.out.printf("step %5d  validation %s%n", 0, format(last = tr.validate()));
            while (tuning.stepsDone() < op.steps) {
                float rate = tuning.learningRate();
                DpoLoss.Stats s = tr.trainStep();
                System.out.printf("step %5d/%d  %s  %s%n", tuning.stepsDone(), op.steps, format(s), op.progress(tuning, rate, clock));
                if (op.evaluateAfter(tuning.stepsDone()))
                    System.out.printf("step %5d  validation %s%n", tuning.stepsDone(), format(last = tr.validate()));
                op.checkpointIfDue(tuning, "dpo", tr.trainCurve, tr.valCurve);
            }
            op.finish(policy, tuning, tr.trainCurve, tr.valCurve, String.format("dpo %s: %s, beta %s, %d steps%s", op.data.getFileName(),
                    op.rank > 0 ? "LoRA r" + op.rank : "full", beta, op.steps,
                    last == null ? "" : String.format(", final val loss %.3f, accuracy %.0f%%", last.loss(), 100 * last.accuracy())),
                    SftData.messages(SftData.object(op.firstLine()).get("messages")), clock);
        }
        return 0;
    }

    static String format(DpoLoss.Stats s) {
        return String.format("loss %.4f  acc %5.1f%%  rewards chosen %+.3f rejected %+.3f margin %+.3f  KL %.4f  (likelihood acc %5.1f%%)",
                s.loss(), 100 * s.accuracy(), shown(s.chosenReward()), shown(s.rejectedReward()), shown(s.margin()), s.kl(),
                100 * s.likelihoodAccuracy());
    }

    /** A reward that rounds to zero at the printed precision prints as +0.000: LoRA with B = 0 moves log-probabilities by
     *  ~1e-7, which would otherwise print as a misleading -0.000 before training has changed anything. */
    private static double shown(double reward) {
        return Math.abs(reward) < 5e-4 ? 0.0 : reward;
    }
}
