package dev.parley.inference.engine;

/**
 * What the model runner computed for a {@link StepPlan}: per plan entry, the logits of its last row when that row
 * was the sequence's last token (else null), and the final normed hidden states of the rows embedding sequences
 * asked for; or the failure of the whole forward pass.
 *
 * @param logits      indexed like the plan's entries; the rows belong to the runner and are overwritten by its next step
 * @param hidden      the hidden-state rows of the step, {@code dim} floats each, in row order (the runner's buffer)
 * @param hiddenStart indexed like the plan's entries: the first of the entry's rows in {@code hidden}
 * @param failure     non-null when the batch failed: every sequence in it ends with this error
 */
record StepOutput(float[][] logits, float[] hidden, int[] hiddenStart, RuntimeException failure) {
    /** A step without hidden-state rows. */
    static StepOutput of(float[][] logits) {
        return new StepOutput(logits, null, null, null);
    }

    static StepOutput failed(RuntimeException failure) {
        return new StepOutput(null, null, null, failure);
    }
}
