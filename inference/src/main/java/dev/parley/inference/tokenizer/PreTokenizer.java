package dev.parley.inference.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into words before byte-level BPE, by the regex list llama.cpp picks for {@code tokenizer.ggml.pre}.
 *
 * <p>As in llama.cpp's {@code unicode_regex_split}, the expressions are applied in order: the first splits the whole
 * text, each next one splits every piece left by the previous one on its own (so {@code $} and look-aheads see the
 * piece's end), and text between matches is kept as a piece of its own.
 *
 * <p>llama.cpp runs these expressions in one of three ways, which differ only in what {@code \s} means; the Java
 * translations below reproduce that:
 * <ul>
 *   <li>the GPT-2 and Llama-3 expressions have hand-written matchers that use the Unicode White_Space property;</li>
 *   <li>expressions using {@code \p{..}} run on a "collapsed" text where every non-ASCII code point is replaced by a
 *       stand-in byte for its category (letter, number, punctuation, mark, symbol, other), non-ASCII whitespace by
 *       {@code \v}: so {@code \s} is again Unicode whitespace, and {@code \p{L}} etc. are the Unicode categories;</li>
 *   <li>the remaining expressions run as {@code std::wregex} in the C locale, where {@code \s} is ASCII whitespace.</li>
 * </ul>
 * So an expression is compiled with {@link Pattern#UNICODE_CHARACTER_CLASS} in the first two cases only.
 */
final class PreTokenizer {
    private static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    private static final String LLAMA3 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Llama-3's expression with single digits. */
    private static final String QWEN2 = LLAMA3.replace("\\p{N}{1,3}", "\\p{N}");
    private static final String BLOOM = " ?[^(\\s|.,!?…。，、।۔،)]+";
    private static final String CJK = "[\\x{4E00}-\\x{9FA5}\\x{0800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+";
    /** DeepSeek-LLM's explicit list of cased letters (Lu, Ll, Lt as of Unicode 15), kept literal for exact results. */
    private static final String DEEPSEEK_CASED_LETTERS = "A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}"
            + "\\x{1C4}-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}\\x{37F}\\x{386}\\x{388}-\\x{38A}"
            + "\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-\\x{481}\\x{48A}-\\x{52F}\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}"
            + "\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}"
            + "\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}"
            + "\\x{1F59}\\x{1F5B}\\x{1F5D}\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}"
            + "\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}\\x{1FF6}-\\x{1FFC}"
            + "\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}\\x{2126}\\x{2128}\\x{212A}-\\x{212D}"
            + "\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}"
            + "\\x{2C7E}-\\x{2CE4}\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}"
            + "\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}\\x{FF21}-\\x{FF3A}"
            + "\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}"
            + "\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}";

    private final String name;
    private final List<Pattern> patterns;

    private PreTokenizer(String name, List<Pattern> patterns) {
        this.name = name;
        this.patterns = patterns;
    }

    String name() { return name; }

    /** Unicode {@code \s} (hand-written matcher or collapsed-text regex in llama.cpp). */
    private static Pattern unicode(String regex) {
        return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
    }

    /** ASCII {@code \s} (std::wregex in llama.cpp). */
    private static Pattern ascii(String regex) {
        return Pattern.compile(regex);
    }

    /** The pre-tokenizer for a {@code tokenizer.ggml.pre} value, or null if llama.cpp (as of Feb 2025) has none. */
    static PreTokenizer forName(String pre) {
        List<Pattern> p = switch (pre) {
            case "default" -> List.of(unicode("[\\p{P}$+<=>^~|]+"), unicode(GPT2), unicode("\\p{N}+"), ascii("[0-9][0-9][0-9]"));
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "dbrx", "smaug-bpe", "chatglm-bpe" -> List.of(unicode(LLAMA3));
            case "qwen2", "deepseek-r1-qwen", "megrez", "stablelm2" -> List.of(unicode(QWEN2));
            case "deepseek-llm" -> List.of(
                    ascii("[\\r\\n]"),
                    ascii("\\s?[" + DEEPSEEK_CASED_LETTERS + "]+"),
                    ascii("\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3000}-\\x{3002}]+"),
                    ascii("\\s+\\z"),
                    ascii(CJK),
                    unicode("\\p{N}+"));
            case "deepseek-coder" -> List.of(
                    ascii("[\\r\\n]"), unicode("\\s?\\p{L}+"), unicode("\\s?\\p{P}+"), ascii(CJK), unicode("\\p{N}"));
            case "deepseek-v3" -> List.of(
                    unicode("\\p{N}{1,3}"),
                    ascii("[\\x{4E00}-\\x{9FA5}\\x{3040}-\\x{309F}\\x{30A0}-\\x{30FF}]+"),
                    unicode("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
                            + "| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"));
            case "falcon" -> List.of(unicode("[\\p{P}$+<=>^~|`]+"), unicode(GPT2), ascii("[0-9][0-9][0-9]"));
            case "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b" ->
                    List.of(unicode("\\p{N}"), unicode(GPT2));
            case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v1-en", "jina-v2-es", "jina-v2-de",
                 "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais" -> List.of(unicode(GPT2));
            case "poro-chat", "bloom", "gpt3-finnish" -> List.of(ascii(BLOOM));
            case "viking" -> List.of(ascii(BLOOM), unicode("\\p{N}"));
            case "tekken" -> List.of(unicode("[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+"
                    + "|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*"
                    + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"));
            default -> null;
        };
        return p == null ? null : new PreTokenizer(pre, p);
    }

    /** llama.cpp emits a whole word that is itself a token without running merges (Llama 3, Tekken). */
    boolean ignoresMerges() {
        return switch (name) {
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "tekken" -> true;
            default -> false;
        };
    }

    /** llama.cpp's add_bos default when {@code tokenizer.ggml.add_bos_token} is absent. */
    boolean addsBosByDefault() {
        return switch (name) {
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "tekken" -> true;
            default -> false;
        };
    }

    /** The words of {@code text}, in order; they concatenate back to {@code text}. */
    List<String> split(String text) {
        List<String> pieces = List.of(text);
        for (Pattern pattern : patterns) {
            List<String> next = new ArrayList<>(pieces.size() * 2);
            for (String piece : pieces) splitPiece(pattern, piece, next);
            pieces = next;
        }
        return pieces;
    }

    private static void splitPiece(Pattern pattern, String piece, List<String> out) {
        Matcher m = pattern.matcher(piece);
        int last = 0;
        while (m.find()) {
            if (m.end() == m.start()) continue; // none of the expressions should match empty; never emit empty words
            if (m.start() > last) out.add(piece.substring(last, m.start()));
            out.add(piece.substring(m.start(), m.end()));
            last = m.end();
        }
        if (last < piece.length()) out.add(piece.substring(last));
    }
}
