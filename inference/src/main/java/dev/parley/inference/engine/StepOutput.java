package dev.parley.inference.engine;

/**
 * What the model runner computed for a {@link StepPlan}: per plan entry, the logits of its last row when that row
 * was the sequence's last token (else null), or the failure of the whole forward pass.
 *
 * @param logits  indexed like the plan's entries; the rows belong to the runner and are overwritten by its next step
 * @param failure non-null when the batch failed: every sequence in it ends with this error
 */
record StepOutput(float[][] logits, RuntimeException failure) {
    static StepOutput of(float[][] logits) {
        return new StepOutput(logits, null);
    }

    static StepOutput failed(RuntimeException failure) {
        return new StepOutput(null, failure);
    }
}
