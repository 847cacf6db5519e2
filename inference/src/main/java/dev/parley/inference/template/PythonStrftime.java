package dev.parley.inference.template;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.time.temporal.IsoFields;
import java.util.Locale;

/** Python's {@code strftime} in the C locale, including glibc's {@code %-d} style "no padding" flag. */
final class PythonStrftime {
    private PythonStrftime() {}

    static String format(String pattern, ZonedDateTime t) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c != '%' || i + 1 >= pattern.length()) {
                out.append(c);
                continue;
            }
            char spec = pattern.charAt(++i);
            boolean unpadded = false;
            if (spec == '-' && i + 1 < pattern.length()) {
                unpadded = true;
                spec = pattern.charAt(++i);
            }
            out.append(field(spec, t, unpadded));
        }
        return out.toString();
    }

    private static String field(char spec, ZonedDateTime t, boolean unpadded) {
        return switch (spec) {
            case 'Y' -> String.valueOf(t.getYear());
            case 'y' -> pad(t.getYear() % 100, 2, unpadded);
            case 'm' -> pad(t.getMonthValue(), 2, unpadded);
            case 'd' -> pad(t.getDayOfMonth(), 2, unpadded);
            case 'e' -> unpadded ? String.valueOf(t.getDayOfMonth()) : String.format("%2d", t.getDayOfMonth());
            case 'H' -> pad(t.getHour(), 2, unpadded);
            case 'I' -> pad(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12, 2, unpadded);
            case 'M' -> pad(t.getMinute(), 2, unpadded);
            case 'S' -> pad(t.getSecond(), 2, unpadded);
            case 'f' -> String.format("%06d", t.getNano() / 1000);
            case 'j' -> pad(t.getDayOfYear(), 3, unpadded);
            case 'p' -> t.getHour() < 12 ? "AM" : "PM";
            case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
            case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
            case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
            case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
            case 'w' -> String.valueOf(t.getDayOfWeek().getValue() % 7);
            case 'u' -> String.valueOf(t.getDayOfWeek().getValue());
            case 'U' -> pad((t.getDayOfYear() + 6 - t.getDayOfWeek().getValue() % 7) / 7, 2, unpadded);
            case 'W' -> pad((t.getDayOfYear() + 6 - (t.getDayOfWeek().getValue() + 6) % 7) / 7, 2, unpadded);
            case 'V' -> pad(t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR), 2, unpadded);
            case 'G' -> String.valueOf(t.get(IsoFields.WEEK_BASED_YEAR));
            case 'C' -> pad(t.getYear() / 100, 2, unpadded);
            case 'z' -> offset(t.getOffset().getTotalSeconds());
            case 'Z' -> "UTC";
            case 's' -> String.valueOf(t.toEpochSecond());
            case 'D' -> format("%m/%d/%y", t);
            case 'F' -> format("%Y-%m-%d", t);
            case 'T' -> format("%H:%M:%S", t);
            case 'R' -> format("%H:%M", t);
            case 'r' -> format("%I:%M:%S %p", t);
            case 'c' -> format("%a %b %e %H:%M:%S %Y", t);
            case 'x' -> format("%m/%d/%y", t);
            case 'X' -> format("%H:%M:%S", t);
            case 'n' -> "\n";
            case 't' -> "\t";
            case '%' -> "%";
            default -> "%" + (unpadded ? "-" : "") + spec;
        };
    }

    private static String pad(long value, int width, boolean unpadded) {
        return unpadded ? String.valueOf(value) : String.format("%0" + width + "d", value);
    }

    private static String offset(int totalSeconds) {
        int abs = Math.abs(totalSeconds);
        return (totalSeconds < 0 ? "-" : "+") + String.format("%02d%02d", abs / 3600, (abs % 3600) / 60);
    }

}
