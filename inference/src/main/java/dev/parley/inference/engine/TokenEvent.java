package dev.parley.inference.engine;

import dev.parley.inference.sampling.TokenLogprobs;

/**
 * One sampled token and the text it releases. {@code text} may be empty while a UTF-8 sequence or a possible stop
 * string is still pending. A final event with {@code token == -1} carries text released when the request ends.
 * {@code logprobs} is null unless the request asked for them.
 */
public record TokenEvent(int token, String text, TokenLogprobs logprobs) {}
