package dev.parley.server.tools;

/**
 * OpenAI's {@code tool_choice}: {@code none} (no calls), {@code auto} (the model decides), {@code required} (at least
 * one call of any function) or one named function (exactly that call).
 *
 * @param function the forced function's name for {@link Mode#NAMED}, else null
 */
public record ToolChoice(Mode mode, String function) {
    public enum Mode { NONE, AUTO, REQUIRED, NAMED }

    public static final ToolChoice NONE = new ToolChoice(Mode.NONE, null);
    public static final ToolChoice AUTO = new ToolChoice(Mode.AUTO, null);
    public static final ToolChoice REQUIRED = new ToolChoice(Mode.REQUIRED, null);

    public static ToolChoice named(String function) {
        return new ToolChoice(Mode.NAMED, function);
    }

    /** The output must be tool calls (and is grammar-constrained to them). */
    public boolean forcesCall() {
        return mode == Mode.REQUIRED || mode == Mode.NAMED;
    }
}
