package dev.parley.server.tools;

import dev.parley.inference.constrain.GrammarSource;
import dev.parley.inference.constrain.TokenConstraint;
import dev.parley.server.chat.ChatException;
import dev.parley.server.chat.ChatService;
import dev.parley.server.chat.ErrorCode;
import io.vertx.core.Future;

/**
 * What constrains a reply when the request offers tools: the call grammar ({@link ToolCallGrammar}, in the served
 * model's syntax) through the engine's grammar cache, unless the request asks for a response format or grammar of its
 * own, which then wins for {@code auto} (the reply is that format, no call) and is refused together with a forced call.
 */
public final class ToolConstraint {
    private ToolConstraint() {}

    /** @param requested the request's own constraint (response_format, grammar, ...; null inside = none) */
    public static Future<TokenConstraint> of(ChatService chat, ToolRequest tools, Future<TokenConstraint> requested) {
        if (!tools.active()) return requested;
        return requested.compose(own -> {
            if (own != null) {
                if (tools.choice().forcesCall())
                    return Future.failedFuture(new ChatException(ErrorCode.BAD_REQUEST, "tool_choice " + (tools.choice().mode()
                            == ToolChoice.Mode.REQUIRED ? "required" : "naming a function") + " cannot be combined with a response "
                            + "format or grammar: the reply is the tool call"));
                return Future.succeededFuture(own);
            }
            String grammar;
            try {
                grammar = ToolCallGrammar.gbnf(ToolCallFormat.of(chat.model().formatter().templateSource()), tools);
            } catch (ChatException e) {
                // a schema the constraint cannot express: refused when the call is forced, else the reply is decoded freely
                return tools.choice().forcesCall() ? Future.failedFuture(e) : Future.succeededFuture();
            }
            return chat.constraint(GrammarSource.gbnf(grammar));
        });
    }
}
