package dev.capstan.testkit.fleet.sh;

import java.io.IOException;
import java.math.BigInteger;
import java.util.List;
import java.util.Locale;

/** {@code printf FORMAT [ARG...]}: the format is reused while arguments remain, as POSIX says. */
final class Printf {

    private Printf() {
    }

    static int run(Proc p) throws IOException {
        List<String> args = p.args.subList(1, p.args.size());
        if (!args.isEmpty() && args.get(0).equals("--")) {
            args = args.subList(1, args.size());
        }
        if (args.isEmpty()) {
            return p.fail("usage: printf format [arg ...]");
        }
        String format = args.get(0);
        List<String> values = args.subList(1, args.size());
        StringBuilder out = new StringBuilder();
        int[] status = {0};
        int used = 0;
        do {
            int before = used;
            Result r = format(p, format, values, used, out, status);
            used = r.used;
            if (r.stop || used == before) {
                break;
            }
        } while (used < values.size());
        p.print(out.toString());
        return status[0];
    }

    private record Result(int used, boolean stop) {
    }

    private static Result format(Proc p, String format, List<String> values, int used, StringBuilder out, int[] status)
            throws IOException {
        int i = 0;
        while (i < format.length()) {
            char c = format.charAt(i);
            if (c == '\\') {
                int consumed = escape(format, i, out, false);
                if (consumed < 0) {
                    return new Result(used, true);
                }
                i += consumed;
                continue;
            }
            if (c != '%') {
                out.append(c);
                i++;
                continue;
            }
            if (i + 1 < format.length() && format.charAt(i + 1) == '%') {
                out.append('%');
                i += 2;
                continue;
            }
            int start = i++;
            StringBuilder flags = new StringBuilder();
            while (i < format.length() && "-+ #0".indexOf(format.charAt(i)) >= 0) {
                flags.append(format.charAt(i++));
            }
            Integer width = null;
            if (i < format.length() && format.charAt(i) == '*') {
                width = used < values.size() ? number(p, values.get(used++), status).intValue() : 0;
                if (width < 0) {
                    flags.append('-');
                    width = -width;
                }
                i++;
            } else {
                int w = i;
                while (i < format.length() && Character.isDigit(format.charAt(i))) {
                    i++;
                }
                width = i > w ? Integer.valueOf(format.substring(w, i)) : null;
            }
            Integer precision = null;
            if (i < format.length() && format.charAt(i) == '.') {
                i++;
                if (i < format.length() && format.charAt(i) == '*') {
                    precision = used < values.size() ? number(p, values.get(used++), status).intValue() : 0;
                    i++;
                } else {
                    int w = i;
                    while (i < format.length() && Character.isDigit(format.charAt(i))) {
                        i++;
                    }
                    precision = i > w ? Integer.parseInt(format.substring(w, i)) : 0;
                }
            }
            if (i >= format.length()) {
                out.append(format, start, format.length());
                break;
            }
            char conv = format.charAt(i++);
            String arg = used < values.size() ? values.get(used++) : null;
            String f = flags.toString();
            switch (conv) {
                case 's' -> out.append(text(arg == null ? "" : arg, f, width, precision));
                case 'b' -> {
                    StringBuilder expanded = new StringBuilder();
                    boolean stop = escapes(arg == null ? "" : arg, expanded, true);
                    out.append(text(expanded.toString(), f, width, precision));
                    if (stop) {
                        return new Result(used, true);
                    }
                }
                case 'c' -> out.append(text(arg == null || arg.isEmpty() ? "" : arg.substring(0, 1), f, width, null));
                case 'd', 'i', 'u', 'o', 'x', 'X' -> out.append(integer(
                        arg == null ? BigInteger.ZERO : number(p, arg, status), conv, f, width, precision));
                case 'f', 'F', 'e', 'E', 'g', 'G' -> {
                    double d = 0;
                    if (arg != null) {
                        try {
                            d = Double.parseDouble(arg.strip());
                        } catch (NumberFormatException e) {
                            p.error("'" + arg + "': expected a numeric value");
                            status[0] = 1;
                        }
                    }
                    String spec = "%" + f.replace("#", "") + (width == null ? "" : width)
                            + (precision == null ? "" : "." + precision) + (conv == 'F' ? 'f' : conv);
                    out.append(String.format(Locale.ROOT, spec, d));
                }
                default -> {
                    p.error("%" + conv + ": invalid directive");
                    status[0] = 1;
                    return new Result(used, true);
                }
            }
        }
        return new Result(used, false);
    }

    private static String text(String s, String flags, Integer width, Integer precision) {
        String t = precision != null && precision < s.length() ? s.substring(0, precision) : s;
        return pad(t, "", flags.contains("-"), false, width);
    }

    private static String integer(BigInteger v, char conv, String flags, Integer width, Integer precision) {
        int radix = conv == 'o' ? 8 : (conv == 'x' || conv == 'X') ? 16 : 10;
        String digits = v.abs().toString(radix);
        if (conv == 'X') {
            digits = digits.toUpperCase(Locale.ROOT);
        }
        if (precision != null) {
            digits = "0".repeat(Math.max(0, precision - digits.length())) + digits;
            if (precision == 0 && v.signum() == 0) {
                digits = "";
            }
        }
        String sign = v.signum() < 0 ? "-" : flags.contains("+") && radix == 10 ? "+"
                : flags.contains(" ") && radix == 10 ? " " : "";
        if (flags.contains("#") && v.signum() != 0) {
            if (conv == 'o' && !digits.startsWith("0")) {
                digits = "0" + digits;
            } else if (conv == 'x' || conv == 'X') {
                sign = sign + (conv == 'x' ? "0x" : "0X");
            }
        }
        boolean zeros = flags.contains("0") && !flags.contains("-") && precision == null;
        return pad(digits, sign, flags.contains("-"), zeros, width);
    }

    private static String pad(String body, String sign, boolean left, boolean zeros, Integer width) {
        int missing = width == null ? 0 : width - body.length() - sign.length();
        if (missing <= 0) {
            return sign + body;
        }
        if (left) {
            return sign + body + " ".repeat(missing);
        }
        return zeros ? sign + "0".repeat(missing) + body : " ".repeat(missing) + sign + body;
    }

    private static BigInteger number(Proc p, String arg, int[] status) throws IOException {
        String s = arg.strip();
        try {
            if (s.startsWith("'") || s.startsWith("\"")) {
                return BigInteger.valueOf(s.length() > 1 ? s.codePointAt(1) : 0);
            }
            boolean negative = s.startsWith("-");
            String digits = negative || s.startsWith("+") ? s.substring(1) : s;
            BigInteger v;
            if (digits.startsWith("0x") || digits.startsWith("0X")) {
                v = new BigInteger(digits.substring(2), 16);
            } else if (digits.length() > 1 && digits.startsWith("0")) {
                v = new BigInteger(digits.substring(1), 8);
            } else {
                v = new BigInteger(digits);
            }
            return negative ? v.negate() : v;
        } catch (NumberFormatException e) {
            p.error("'" + arg + "': expected a numeric value");
            status[0] = 1;
            return BigInteger.ZERO;
        }
    }

    /**
     * Appends {@code text} with backslash escapes interpreted ({@code \n}, {@code \t}, {@code \0NNN} or {@code \NNN},
     * {@code \xHH}, ...).
     *
     * @param echoStyle octal as {@code \0NNN} ({@code echo -e}, {@code %b}) rather than {@code \NNN}
     * @return whether a {@code \c} asked to stop all output
     */
    static boolean escapes(String text, StringBuilder out, boolean echoStyle) {
        int i = 0;
        while (i < text.length()) {
            if (text.charAt(i) == '\\') {
                if (i + 1 < text.length() && text.charAt(i + 1) == 'c') {
                    return true;
                }
                int consumed = escape(text, i, out, echoStyle);
                i += Math.max(consumed, 1);
            } else {
                out.append(text.charAt(i++));
            }
        }
        return false;
    }

    /** Interprets the escape at {@code at}; returns the characters consumed, or -1 for {@code \c}. */
    private static int escape(String s, int at, StringBuilder out, boolean echoStyle) {
        if (at + 1 >= s.length()) {
            out.append('\\');
            return 1;
        }
        char c = s.charAt(at + 1);
        switch (c) {
            case 'n' -> out.append('\n');
            case 't' -> out.append('\t');
            case 'r' -> out.append('\r');
            case 'a' -> out.append('\007');
            case 'b' -> out.append('\b');
            case 'f' -> out.append('\f');
            case 'v' -> out.append('\013');
            case 'e' -> out.append('\033');
            case '\\' -> out.append('\\');
            case '"' -> out.append('"');
            case '\'' -> out.append('\'');
            case 'c' -> {
                return -1;
            }
            case 'x' -> {
                int end = at + 2;
                while (end < s.length() && end < at + 4 && Character.digit(s.charAt(end), 16) >= 0) {
                    end++;
                }
                if (end == at + 2) {
                    out.append("\\x");
                    return 2;
                }
                out.append((char) Integer.parseInt(s.substring(at + 2, end), 16));
                return end - at;
            }
            default -> {
                if (c >= '0' && c <= '7') {
                    int start = at + 1;
                    if (echoStyle && c == '0') {
                        start++;
                    }
                    int end = start;
                    while (end < s.length() && end < start + 3 && s.charAt(end) >= '0' && s.charAt(end) <= '7') {
                        end++;
                    }
                    out.append(end == start ? '\0' : (char) Integer.parseInt(s.substring(start, end), 8));
                    return end - at;
                }
                out.append('\\').append(c);
            }
        }
        return 2;
    }
}
