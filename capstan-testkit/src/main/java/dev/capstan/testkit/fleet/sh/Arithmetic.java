package dev.capstan.testkit.fleet.sh;

import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * {@code $((...))}: integer arithmetic with C precedence: {@code , = += -= *= /= %= ?: || && | ^ & == != < <= > >=
 * << >> + - * / %}, unary {@code - + ! ~}, parentheses, decimal/octal/hex numbers and variable names.
 */
final class Arithmetic {

    /** Thrown for a malformed expression or a division by zero. */
    static final class ArithmeticError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ArithmeticError(String message) {
            super(message);
        }
    }

    private final String src;
    private final Function<String, String> get;
    private final BiConsumer<String, String> set;
    private int pos;

    private Arithmetic(String src, Function<String, String> get, BiConsumer<String, String> set) {
        this.src = src;
        this.get = get;
        this.set = set;
    }

    static long eval(String expression, Function<String, String> get, BiConsumer<String, String> set) {
        Arithmetic a = new Arithmetic(expression, get, set);
        a.skip();
        if (a.pos >= a.src.length()) {
            return 0;
        }
        long v = a.comma(true);
        a.skip();
        if (a.pos < a.src.length()) {
            throw new ArithmeticError("arithmetic expression: expecting EOF: \"" + expression + "\"");
        }
        return v;
    }

    private long comma(boolean eval) {
        long v = assignment(eval);
        while (take(",")) {
            v = assignment(eval);
        }
        return v;
    }

    private long assignment(boolean eval) {
        int save = pos;
        skip();
        String name = identifier();
        if (name != null) {
            skip();
            for (String op : new String[] {"=", "+=", "-=", "*=", "/=", "%="}) {
                if (src.startsWith(op, pos) && !(op.equals("=") && src.startsWith("==", pos))) {
                    pos += op.length();
                    long rhs = assignment(eval);
                    long value = op.equals("=") ? rhs : binary(op.substring(0, 1), variable(name), rhs, eval);
                    if (eval) {
                        set.accept(name, Long.toString(value));
                    }
                    return value;
                }
            }
        }
        pos = save;
        return conditional(eval);
    }

    private long conditional(boolean eval) {
        long c = logicalOr(eval);
        if (take("?")) {
            long a = comma(eval && c != 0);
            expect(":");
            long b = conditional(eval && c == 0);
            return c != 0 ? a : b;
        }
        return c;
    }

    private long logicalOr(boolean eval) {
        long v = logicalAnd(eval);
        while (take("||")) {
            long r = logicalAnd(eval && v == 0);
            v = (v != 0 || r != 0) ? 1 : 0;
        }
        return v;
    }

    private long logicalAnd(boolean eval) {
        long v = bitOr(eval);
        while (take("&&")) {
            long r = bitOr(eval && v != 0);
            v = (v != 0 && r != 0) ? 1 : 0;
        }
        return v;
    }

    private long bitOr(boolean eval) {
        long v = bitXor(eval);
        while (peek("|") && !peek("||") && !peek("|=")) {
            pos++;
            v |= bitXor(eval);
        }
        return v;
    }

    private long bitXor(boolean eval) {
        long v = bitAnd(eval);
        while (take("^")) {
            v ^= bitAnd(eval);
        }
        return v;
    }

    private long bitAnd(boolean eval) {
        long v = equality(eval);
        while (peek("&") && !peek("&&") && !peek("&=")) {
            pos++;
            v &= equality(eval);
        }
        return v;
    }

    private long equality(boolean eval) {
        long v = relational(eval);
        while (true) {
            if (take("==")) {
                v = v == relational(eval) ? 1 : 0;
            } else if (take("!=")) {
                v = v != relational(eval) ? 1 : 0;
            } else {
                return v;
            }
        }
    }

    private long relational(boolean eval) {
        long v = shift(eval);
        while (true) {
            if (take("<=")) {
                v = v <= shift(eval) ? 1 : 0;
            } else if (take(">=")) {
                v = v >= shift(eval) ? 1 : 0;
            } else if (peek("<") && !peek("<<")) {
                pos++;
                v = v < shift(eval) ? 1 : 0;
            } else if (peek(">") && !peek(">>")) {
                pos++;
                v = v > shift(eval) ? 1 : 0;
            } else {
                return v;
            }
        }
    }

    private long shift(boolean eval) {
        long v = additive(eval);
        while (true) {
            if (take("<<")) {
                v <<= additive(eval);
            } else if (take(">>")) {
                v >>= additive(eval);
            } else {
                return v;
            }
        }
    }

    private long additive(boolean eval) {
        long v = multiplicative(eval);
        while (true) {
            if (peekOp('+')) {
                pos++;
                v += multiplicative(eval);
            } else if (peekOp('-')) {
                pos++;
                v -= multiplicative(eval);
            } else {
                return v;
            }
        }
    }

    private long multiplicative(boolean eval) {
        long v = unary(eval);
        while (true) {
            skip();
            if (pos < src.length() && "*/%".indexOf(src.charAt(pos)) >= 0 && !peekAt(pos + 1, '=')) {
                String op = String.valueOf(src.charAt(pos++));
                v = binary(op, v, unary(eval), eval);
            } else {
                return v;
            }
        }
    }

    private long binary(String op, long a, long b, boolean eval) {
        return switch (op) {
            case "+" -> a + b;
            case "-" -> a - b;
            case "*" -> a * b;
            case "/", "%" -> {
                if (b == 0) {
                    if (!eval) {
                        yield 0;
                    }
                    throw new ArithmeticError("arithmetic expression: division by zero: \"" + src + "\"");
                }
                yield op.equals("/") ? a / b : a % b;
            }
            default -> throw new ArithmeticError("bad operator " + op);
        };
    }

    private long unary(boolean eval) {
        skip();
        if (take("!")) {
            return unary(eval) == 0 ? 1 : 0;
        }
        if (take("~")) {
            return ~unary(eval);
        }
        if (peekOp('-')) {
            pos++;
            return -unary(eval);
        }
        if (peekOp('+')) {
            pos++;
            return unary(eval);
        }
        return primary(eval);
    }

    private long primary(boolean eval) {
        skip();
        if (take("(")) {
            long v = comma(eval);
            expect(")");
            return v;
        }
        String name = identifier();
        if (name != null) {
            return variable(name);
        }
        int start = pos;
        while (pos < src.length() && Character.isLetterOrDigit(src.charAt(pos))) {
            pos++;
        }
        String number = src.substring(start, pos);
        if (number.isEmpty()) {
            throw new ArithmeticError("arithmetic expression: expecting primary: \"" + src + "\"");
        }
        return parseNumber(number);
    }

    private long variable(String name) {
        String value = get.apply(name);
        if (value == null || value.isBlank()) {
            return 0;
        }
        try {
            return parseNumber(value.strip());
        } catch (ArithmeticError e) {
            throw new ArithmeticError("Illegal number: " + value);
        }
    }

    private static long parseNumber(String number) {
        try {
            String n = number.startsWith("-") ? number.substring(1) : number;
            long v;
            if (n.startsWith("0x") || n.startsWith("0X")) {
                v = Long.parseLong(n.substring(2), 16);
            } else if (n.length() > 1 && n.startsWith("0")) {
                v = Long.parseLong(n.substring(1), 8);
            } else {
                v = Long.parseLong(n);
            }
            return number.startsWith("-") ? -v : v;
        } catch (NumberFormatException e) {
            throw new ArithmeticError("Illegal number: " + number);
        }
    }

    private String identifier() {
        skip();
        int start = pos;
        if (pos < src.length() && (Character.isLetter(src.charAt(pos)) || src.charAt(pos) == '_')) {
            while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                pos++;
            }
            return src.substring(start, pos);
        }
        return null;
    }

    private void skip() {
        while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) {
            pos++;
        }
    }

    private boolean peek(String s) {
        skip();
        return src.startsWith(s, pos);
    }

    private boolean peekOp(char c) {
        skip();
        return pos < src.length() && src.charAt(pos) == c && !peekAt(pos + 1, '=') && !peekAt(pos + 1, c);
    }

    private boolean peekAt(int at, char c) {
        return at < src.length() && src.charAt(at) == c;
    }

    private boolean take(String s) {
        if (peek(s)) {
            pos += s.length();
            return true;
        }
        return false;
    }

    private void expect(String s) {
        if (!take(s)) {
            throw new ArithmeticError("arithmetic expression: expecting \"" + s + "\": \"" + src + "\"");
        }
    }
}
