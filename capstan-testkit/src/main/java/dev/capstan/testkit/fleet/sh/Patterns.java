package dev.capstan.testkit.fleet.sh;

import java.util.BitSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Shell patterns ({@code *.log}, {@code [0-9]*}) and POSIX regular expressions, translated to java.util.regex. */
final class Patterns {

    private Patterns() {
    }

    /**
     * @param text   the pattern text
     * @param active which characters may act as pattern characters (unquoted ones); {@code null} means all
     * @return a regular expression matching what the pattern matches
     */
    static String globToRegex(String text, BitSet active) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean special = active == null || active.get(i);
            if (special && c == '*') {
                re.append(".*");
            } else if (special && c == '?') {
                re.append('.');
            } else if (special && c == '[') {
                int end = bracketEnd(text, i);
                if (end < 0) {
                    re.append("\\[");
                } else {
                    re.append(bracket(text.substring(i + 1, end)));
                    i = end;
                }
            } else {
                appendLiteral(re, c);
            }
        }
        return re.toString();
    }

    /** @return whether the text holds an active {@code *}, {@code ?} or {@code [} */
    static boolean hasGlob(String text, BitSet active) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c == '*' || c == '?' || c == '[') && (active == null || active.get(i))) {
                return true;
            }
        }
        return false;
    }

    static boolean matches(String glob, BitSet active, String subject) {
        return Pattern.compile(globToRegex(glob, active), Pattern.DOTALL).matcher(subject).matches();
    }

    /** Index of the {@code ]} closing the bracket expression at {@code open}, or -1. */
    private static int bracketEnd(String text, int open) {
        int i = open + 1;
        if (i < text.length() && (text.charAt(i) == '!' || text.charAt(i) == '^')) {
            i++;
        }
        if (i < text.length() && text.charAt(i) == ']') {
            i++;
        }
        while (i < text.length()) {
            if (text.startsWith("[:", i)) {
                int close = text.indexOf(":]", i + 2);
                if (close > 0) {
                    i = close + 2;
                    continue;
                }
            }
            if (text.charAt(i) == ']') {
                return i;
            }
            i++;
        }
        return -1;
    }

    /** Translates the inside of a bracket expression ({@code !a-z[:digit:]}) to a Java character class. */
    private static String bracket(String inner) {
        StringBuilder cls = new StringBuilder("[");
        int i = 0;
        if (!inner.isEmpty() && (inner.charAt(0) == '!' || inner.charAt(0) == '^')) {
            cls.append('^');
            i = 1;
        }
        for (; i < inner.length(); i++) {
            char c = inner.charAt(i);
            if (inner.startsWith("[:", i)) {
                int close = inner.indexOf(":]", i + 2);
                if (close > 0) {
                    cls.append(posixClass(inner.substring(i + 2, close)));
                    i = close + 1;
                    continue;
                }
            }
            if (c == '-' && i > 0 && i < inner.length() - 1) {
                cls.append('-');
            } else if ("\\[]^&-".indexOf(c) >= 0) {
                cls.append('\\').append(c);
            } else {
                cls.append(c);
            }
        }
        return cls.append(']').toString();
    }

    private static String posixClass(String name) {
        return switch (name) {
            case "alpha" -> "\\p{Alpha}";
            case "digit" -> "\\p{Digit}";
            case "alnum" -> "\\p{Alnum}";
            case "upper" -> "\\p{Upper}";
            case "lower" -> "\\p{Lower}";
            case "space" -> "\\s";
            case "blank" -> " \\t";
            case "punct" -> "\\p{Punct}";
            case "xdigit" -> "\\p{XDigit}";
            case "cntrl" -> "\\p{Cntrl}";
            case "print" -> "\\p{Print}";
            case "graph" -> "\\p{Graph}";
            default -> "";
        };
    }

    private static void appendLiteral(StringBuilder re, char c) {
        if ("\\.[]{}()*+?^$|".indexOf(c) >= 0) {
            re.append('\\');
        }
        re.append(c);
    }

    /**
     * Translates a POSIX regular expression to java.util.regex.
     *
     * @param re       the expression
     * @param extended ERE ({@code grep -E}, awk) rather than BRE ({@code grep}, {@code sed})
     * @return the compiled pattern
     * @throws PatternSyntaxException if it is not valid
     */
    static Pattern posixRegex(String re, boolean extended, boolean ignoreCase) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < re.length(); i++) {
            char c = re.charAt(i);
            if (c == '[') {
                int end = regexBracketEnd(re, i);
                if (end > 0) {
                    out.append(bracket(re.substring(i + 1, end)));
                    i = end;
                    continue;
                }
                out.append("\\[");
            } else if (c == '\\' && i + 1 < re.length()) {
                char n = re.charAt(++i);
                if (!extended && "(){}|+?".indexOf(n) >= 0) {
                    out.append(n); // BRE: \( \) \{ \} are the operators (and GNU's \| \+ \?)
                } else if (Character.isDigit(n) || "wWsSbB<>".indexOf(n) >= 0) {
                    out.append('\\').append(n == '<' || n == '>' ? 'b' : n);
                } else {
                    appendLiteral(out, n);
                }
            } else if (!extended && "(){}|+?".indexOf(c) >= 0) {
                out.append('\\').append(c); // BRE: plain ( ) { } | + ? are literal
            } else if (c == '*' && (out.isEmpty() || (!extended && endsWithAnchor(out)))) {
                out.append("\\*"); // a leading * is literal
            } else {
                out.append(c);
            }
        }
        return Pattern.compile(out.toString(), ignoreCase ? Pattern.CASE_INSENSITIVE : 0);
    }

    private static boolean endsWithAnchor(StringBuilder out) {
        return out.length() == 1 && out.charAt(0) == '^';
    }

    private static int regexBracketEnd(String re, int open) {
        return bracketEnd(re, open);
    }
}
