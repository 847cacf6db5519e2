package dev.parley.inference.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.kv.BlockManager;
import dev.parley.inference.model.DefaultModel;
import dev.parley.inference.model.MatmulMode;
import dev.parley.inference.model.Model;
import dev.parley.inference.sampling.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The scheduler alone, driven by hand (no forward pass): the model's logits are made up. */
class SchedulerTest {
    private static final GenerationListener IGNORE = new GenerationListener() {
        @Override public void onToken(TokenEvent event) {}
        @Override public void onComplete(Completion completion) {}
        @Override public void onError(RuntimeException error) {}
    };

    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(DefaultModel.path());
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    /** The running batch's list, counting the elements read through it (get, iteration, searches, copies). */
    static final class CountingList extends ArrayList<Sequence> {
        long reads;

        @Override public Sequence get(int index) {
            reads++;
            return super.get(index);
        }

        @Override public int indexOf(Object o) {
            int index = super.indexOf(o);
            reads += index < 0 ? size() : index + 1;
            return index;
        }

        @Override public int lastIndexOf(Object o) {
            int index = super.lastIndexOf(o);
            reads += index < 0 ? size() : size() - index;
            return index;
        }

        @Override public Object[] toArray() {
            reads += size();
            return super.toArray();
        }

        @Override public Iterator<Sequence> iterator() {
            Iterator<Sequence> inner = super.iterator();
            return new Iterator<>() {
                @Override public boolean hasNext() { return inner.hasNext(); }
                @Override public Sequence next() {
                    reads++;
                    return inner.next();
                }
                @Override public void remove() { inner.remove(); }
            };
        }
    }

    private static Sequence sequence(int id) {
        var params = SamplingParams.builder().temperature(0).maxTokens(100).ignoreEos(true).build();
        return new Sequence(id, new GenerationRequest(new int[] {1, 2 + id % 50, 3}, params), IGNORE, seq -> {});
    }

    /** Runs the first step of everything queued with made-up logits (every sequence samples token 5). */
    private static void prefillAll(Scheduler scheduler, int sequences) {
        StepPlan prefill = scheduler.schedule();
        assertEquals(sequences, prefill.entries().size(), "every prompt fits in the first step");
        float[] logits = new float[model.config().vocabSize()];
        logits[5] = 1;
        float[][] byEntry = new float[sequences][];
        Arrays.fill(byEntry, logits);
        scheduler.update(prefill, StepOutput.of(byEntry));
        assertEquals(sequences, scheduler.runningCount());
    }

    @Test
    void aDecodeStepReadsEachRunningSequenceAConstantNumberOfTimes() {
        int sequences = 256;
        var config = new EngineConfig(sequences, sequences, 64, MatmulMode.GGML).withMaxStepTokens(4 * sequences);
        var blocks = new BlockManager(4 * sequences, EngineConfig.DEFAULT_BLOCK_SIZE);
        var running = new CountingList();
        var scheduler = new Scheduler(model, config, blocks, running);
        for (int i = 0; i < sequences; i++) scheduler.add(sequence(i));
        prefillAll(scheduler, sequences);

        running.reads = 0;
        StepPlan decode = scheduler.schedule();
        assertEquals(sequences, decode.entries().size(), "one decode token each");
        // a few passes over the batch (decodes, prefill chunks, finished ones); a search per sequence would be n^2/2
        assertTrue(running.reads <= 4L * sequences, running.reads + " reads of the running list for " + sequences + " sequences");
        List<Integer> tokens = new ArrayList<>();
        for (StepPlan.Entry entry : decode.entries()) tokens.add(entry.seq().tokens()[entry.seq().computedTokens()]);
        assertTrue(tokens.stream().allMatch(t -> t == 5), "each decodes the token sampled from the made-up logits");
    }

    @Test
    void anAbortedSequenceLeavesTheNextPlanAndReturnsItsBlocks() {
        var blocks = new BlockManager(8, EngineConfig.DEFAULT_BLOCK_SIZE);
        var scheduler = new Scheduler(model, new EngineConfig(2, 2, 64, MatmulMode.GGML), blocks);
        Sequence kept = sequence(1), aborted = sequence(2);
        scheduler.add(kept);
        scheduler.add(aborted);
        prefillAll(scheduler, 2);
        assertEquals(6, blocks.freeBlocks(), "one block each");
        scheduler.abort(aborted);
        assertTrue(aborted.isDone());
        StepPlan next = scheduler.schedule();
        assertEquals(List.of(kept), next.entries().stream().map(StepPlan.Entry::seq).toList());
        assertEquals(1, scheduler.runningCount());
        assertEquals(7, blocks.freeBlocks(), "the aborted sequence's block is free again");
    }
}
