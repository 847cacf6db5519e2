/** Turning logits into the next token: sampling parameters, penalties, top-k/top-p/min-p, logprobs and stop strings. */
package dev.parley.inference.sampling;
