package dev.capstan.cli.output;

import java.util.List;

/** Writes JSON: strings escaped per RFC 8259, and an {@link EventRecord} as one object on one line. */
public final class Json {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Json() {
    }

    /** {@code text} as a quoted JSON string. */
    public static String string(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2);
        appendString(out, text);
        return out.toString();
    }

    /** {@code {"time":"...","type":"...",...}} without a newline. */
    public static String object(EventRecord record) {
        StringBuilder out = new StringBuilder(128);
        out.append("{\"time\":");
        appendString(out, record.time().toString());
        out.append(",\"type\":");
        appendString(out, record.type());
        for (EventRecord.Field field : record.fields()) {
            out.append(',');
            appendString(out, field.name());
            out.append(':');
            appendValue(out, field.value());
        }
        return out.append('}').toString();
    }

    private static void appendValue(StringBuilder out, Object value) {
        switch (value) {
            case Number n -> out.append(n);
            case Boolean b -> out.append(b);
            case List<?> list -> {
                out.append('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    appendValue(out, list.get(i));
                }
                out.append(']');
            }
            default -> appendString(out, String.valueOf(value));
        }
    }

    static void appendString(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || c == 0x7F || c == '\u2028' || c == '\u2029' || unpairedSurrogate(text, i)) {
                        // controls must be escaped; the others keep the line valid in JavaScript and in UTF-8
                        out.append("\\u").append(HEX[c >> 12 & 0xF]).append(HEX[c >> 8 & 0xF])
                                .append(HEX[c >> 4 & 0xF]).append(HEX[c & 0xF]);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static boolean unpairedSurrogate(String text, int i) {
        char c = text.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1));
        }
        if (Character.isLowSurrogate(c)) {
            return i == 0 || !Character.isHighSurrogate(text.charAt(i - 1));
        }
        return false;
    }
}
