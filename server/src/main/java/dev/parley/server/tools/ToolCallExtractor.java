package dev.parley.server.tools;

import dev.parley.server.model.ServingModel;
import dev.parley.server.model.ToolCall;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Separates a reply's text from its tool calls as the text streams in, in one model family's syntax
 * ({@link ToolCallFormat}). Text goes out as content as soon as it cannot be the start of a call marker; once a marker
 * (or, for families that write bare JSON, a reply starting with JSON) opens a call region, each call object is scanned
 * with a JSON lexer. When an object starts {@code {"name": "<known function>", "arguments": } its call is announced at
 * once and its arguments stream out piece by piece as they arrive (that is the shape constrained decoding writes);
 * otherwise the call goes out when its object is complete. A region that turns out not to be calls (an unknown
 * function, JSON that is not a call) goes out as content, so nothing the model wrote is lost.
 * Not thread-safe: one per reply, fed in order.
 */
public final class ToolCallExtractor {
    /** One piece of output, in order: content text, or a piece of tool call {@code index}. */
    public sealed interface Piece permits Content, CallPiece {}

    public record Content(String text) implements Piece {}

    /** The first piece of a call has its id and name and empty arguments; later ones only more argument text. */
    public record CallPiece(int index, String id, String name, String arguments) implements Piece {}

    /** {"name": "<name>", "<arguments key>": , right before the arguments object opens. */
    private static final Pattern HEADER = Pattern.compile("\\{\\s*\"name\"\\s*:\\s*\"([^\"\\\\]*)\"\\s*,\\s*\"(?:arguments|parameters)\"\\s*:\\s*");

    private enum Mode { START, TEXT, CALLS, PLAIN }

    private final ToolCallFormat format;
    private final Set<String> names;
    private final List<ToolCall> calls = new ArrayList<>();
    private final StringBuilder content = new StringBuilder();
    /** Text not yet given out; in CALLS mode, the call region from its start. */
    private final StringBuilder pending = new StringBuilder();
    private Mode mode = Mode.START;

    // the call region's scanner
    private int scan;
    private int objectStart = -1;
    private int depth;
    private boolean inString;
    private boolean escaped;
    /** The current object's call, once announced (its header seen), else null. */
    private String streamingId;
    private int argumentsStart = -1;
    private int argumentsEnd = -1;
    private int argumentsSent;
    private String currentName;
    /** How many calls the current region has completed. */
    private int regionCalls;

    public ToolCallExtractor(ToolCallFormat format, Set<String> functionNames) {
        this.format = format;
        this.names = Set.copyOf(functionNames);
    }

    /** The parser of a request's reply, in the served model's syntax; null when the request offers no tools. */
    public static ToolCallExtractor forReply(ServingModel model, ToolRequest tools) {
        if (!tools.active()) return null;
        return new ToolCallExtractor(ToolCallFormat.of(model.formatter().templateSource()),
                Set.copyOf(tools.callable().stream().map(FunctionTool::name).toList()));
    }

    /** The pieces that {@code text} (the reply's next characters) completes. */
    public List<Piece> accept(String text) {
        pending.append(text);
        List<Piece> out = new ArrayList<>();
        process(false, out);
        return out;
    }

    /** The reply is over: what was held back goes out. */
    public List<Piece> finish() {
        List<Piece> out = new ArrayList<>();
        process(true, out);
        return out;
    }

    /** The calls found so far (complete ones; a call cut off by the token limit is included as far as it came). */
    public List<ToolCall> calls() {
        return List.copyOf(calls);
    }

    /** All content given out so far. */
    public String content() {
        return content.toString();
    }

    private void process(boolean end, List<Piece> out) {
        while (true) {
            switch (mode) {
                case START -> {
                    int first = firstNonWhitespace();
                    if (first < 0) {
                        if (end) emitContent(pending.length(), out);
                        return;
                    }
                    char c = pending.charAt(first);
                    if (format.bareJsonAtStart && (c == '{' || c == '[')) {
                        enterCalls();
                    } else {
                        mode = format.markers.isEmpty() ? Mode.PLAIN : Mode.TEXT;
                    }
                }
                case TEXT -> {
                    int at = -1;
                    for (String marker : format.markers) {
                        int i = pending.indexOf(marker);
                        if (i >= 0 && (at < 0 || i < at)) at = i;
                    }
                    if (at >= 0) {
                        emitContent(at, out);
                        enterCalls();
                        continue;
                    }
                    emitContent(end ? pending.length() : pending.length() - heldBack(), out);
                    return;
                }
                case PLAIN -> {
                    emitContent(pending.length(), out);
                    return;
                }
                case CALLS -> {
                    if (!scanCalls(end, out)) return;
                }
            }
        }
    }

    /** Scans the call region; true when it ended (the mode changed), false when it waits for more text. */
    private boolean scanCalls(boolean end, List<Piece> out) {
        while (scan < pending.length()) {
            if (objectStart < 0) {
                int tag = tagAt(scan, end);
                if (tag > 0) {
                    scan += tag;
                    continue;
                }
                if (tag < 0) break; // maybe a tag: wait for more
                char c = pending.charAt(scan);
                if (Character.isWhitespace(c) || c == '[' || c == ']' || c == ',' || c == ';') {
                    scan++;
                    continue;
                }
                if (c != '{') return abandon(regionCalls == 0 ? 0 : scan);
                objectStart = scan;
                depth = 0;
            }
            char c = pending.charAt(scan);
            if (inString) {
                if (escaped) escaped = false;
                else if (c == '\\') escaped = true;
                else if (c == '"') inString = false;
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                if (depth == 1 && c == '{' && streamingId == null) announce(out);
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
                if (depth == 1 && streamingId != null && argumentsEnd < 0) argumentsEnd = scan + 1;
                if (depth == 0) {
                    scan++;
                    if (!completeObject(out)) return abandon(regionCalls == 0 ? 0 : objectStart);
                    continue;
                }
            }
            scan++;
        }
        sendArguments(out);
        if (end) {
            if (streamingId != null) { // cut off mid-call (token limit): it stays a call, as far as it came
                calls.add(new ToolCall(streamingId, currentName, pending.substring(argumentsStart, argumentsEnd >= 0 ? argumentsEnd : scan)));
                streamingId = null;
                objectStart = -1;
                return stop();
            }
            if (objectStart >= 0) return abandon(regionCalls == 0 ? 0 : objectStart);
            return regionCalls == 0 ? abandon(0) : stop();
        }
        return false;
    }

    /** The object's header named a known function: its call is announced and its arguments stream from here. */
    private void announce(List<Piece> out) {
        Matcher m = HEADER.matcher(pending.subSequence(objectStart, scan));
        if (!m.matches() || !names.contains(m.group(1))) return;
        streamingId = format.newCallId();
        currentName = m.group(1);
        argumentsStart = scan;
        argumentsSent = scan;
        argumentsEnd = -1;
        out.add(new CallPiece(calls.size(), streamingId, currentName, ""));
    }

    private void sendArguments(List<Piece> out) {
        if (streamingId == null) return;
        int upTo = argumentsEnd >= 0 ? argumentsEnd : scan;
        if (upTo > argumentsSent) {
            out.add(new CallPiece(calls.size(), null, null, pending.substring(argumentsSent, upTo)));
            argumentsSent = upTo;
        }
    }

    /** A call object ended at {@code scan}: records its call, or false when it is no call. */
    private boolean completeObject(List<Piece> out) {
        String text = pending.substring(objectStart, scan);
        if (streamingId != null) {
            sendArguments(out);
            calls.add(new ToolCall(streamingId, currentName, pending.substring(argumentsStart, argumentsEnd)));
            streamingId = null;
        } else {
            ToolCall call = parse(text);
            if (call == null) return false;
            calls.add(call);
            out.add(new CallPiece(calls.size() - 1, call.id(), call.name(), ""));
            out.add(new CallPiece(calls.size() - 1, null, null, call.arguments()));
        }
        objectStart = -1;
        regionCalls++;
        return true;
    }

    /** A whole call object in any key order; null when it is not a call of a known function. */
    private ToolCall parse(String text) {
        JsonObject object;
        try {
            object = new JsonObject(text);
        } catch (DecodeException e) {
            return null;
        }
        if (!(object.getValue("name") instanceof String name) || !names.contains(name)) return null;
        Object arguments = object.containsKey("arguments") ? object.getValue("arguments") : object.getValue("parameters");
        String argumentsText;
        if (arguments instanceof JsonObject o) argumentsText = o.encode();
        else if (arguments == null) argumentsText = "{}";
        else if (arguments instanceof String s) {
            try {
                argumentsText = new JsonObject(s).encode(); // some models write the arguments as a JSON string
            } catch (DecodeException e) {
                return null;
            }
        } else return null;
        return new ToolCall(format.newCallId(), name, argumentsText);
    }

    private void enterCalls() {
        mode = Mode.CALLS;
        scan = 0;
        objectStart = -1;
        depth = 0;
        inString = false;
        escaped = false;
        regionCalls = 0;
    }

    /**
     * The region from {@code from} on is no call after all: it goes out as text. A region abandoned whole (it starts
     * with its marker, or is the JSON the reply began with) makes the rest of the reply plain text, so the same
     * marker does not open it again.
     */
    private boolean abandon(int from) {
        pending.delete(0, from);
        objectStart = -1;
        mode = regionCalls == 0 || format.markers.isEmpty() ? Mode.PLAIN : Mode.TEXT;
        return true;
    }

    /** The region ended with its calls; anything after them is ordinary text again. */
    private boolean stop() {
        pending.delete(0, scan);
        scan = 0;
        mode = format.markers.isEmpty() ? Mode.PLAIN : Mode.TEXT;
        return true;
    }

    /**
     * The length of a marker or closing tag at {@code i}; 0 if none; -1 when the text so far could still become one
     * (and the reply goes on).
     */
    private int tagAt(int i, boolean end) {
        List<String> tags = new ArrayList<>(format.markers);
        if (format == ToolCallFormat.HERMES) tags.add("</tool_call>");
        for (String tag : tags) {
            int available = pending.length() - i;
            if (available >= tag.length()) {
                if (pending.indexOf(tag, i) == i) return tag.length();
            } else if (!end && tag.startsWith(pending.substring(i))) {
                return -1;
            }
        }
        return 0;
    }

    private int firstNonWhitespace() {
        for (int i = 0; i < pending.length(); i++) if (!Character.isWhitespace(pending.charAt(i))) return i;
        return -1;
    }

    /** How many trailing characters could be the start of a marker (held back until the next text tells). */
    private int heldBack() {
        int held = 0;
        for (String marker : format.markers) {
            for (int k = Math.min(marker.length() - 1, pending.length()); k > held; k--) {
                if (marker.startsWith(pending.substring(pending.length() - k))) {
                    held = k;
                    break;
                }
            }
        }
        return held;
    }

    private void emitContent(int upTo, List<Piece> out) {
        if (upTo <= 0) return;
        String text = pending.substring(0, upTo);
        pending.delete(0, upTo);
        content.append(text);
        out.add(new Content(text));
    }
}
