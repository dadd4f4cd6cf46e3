package dev.capstan.testkit.fleet.sh;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A small awk: {@code BEGIN}/{@code END}, pattern-action rules, fields and {@code NR NF FS OFS}, variables (also from
 * {@code -v}), arithmetic, string concatenation, comparisons (numeric when both sides look numeric), {@code ~ !~},
 * {@code && || !}, {@code ?:}, assignments, {@code ++ --}, {@code if/else}, {@code while}, {@code for(;;)},
 * {@code print}, {@code printf}, {@code next}, {@code exit}, and the functions {@code length substr index tolower
 * toupper int sprintf}. No arrays, no user functions, no getline.
 */
final class Awk {

    /** An awk value: a string, a number, or a string that looks like a number (from input or -v). */
    private record Val(String s, double n, boolean isNumber, boolean strnum) {
        static Val num(double d) {
            return new Val(null, d, true, false);
        }

        static Val str(String s) {
            return new Val(s, 0, false, false);
        }

        static Val input(String s) {
            return new Val(s, 0, false, looksNumeric(s));
        }

        String string() {
            if (!isNumber) {
                return s;
            }
            if (n == Math.rint(n) && Math.abs(n) < 1e16) {
                return Long.toString((long) n);
            }
            return String.format(Locale.ROOT, "%.6g", n).replaceAll("(\\.\\d*?)0+(e|$)", "$1$2")
                    .replaceAll("\\.(e|$)", "$1");
        }

        double number() {
            if (isNumber) {
                return n;
            }
            return leadingNumber(s);
        }

        boolean truth() {
            if (isNumber) {
                return n != 0;
            }
            if (strnum) {
                return leadingNumber(s) != 0;
            }
            return !s.isEmpty();
        }

        boolean numeric() {
            return isNumber || strnum;
        }
    }

    private static final Pattern NUMERIC = Pattern.compile("\\s*[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?\\s*");

    private static boolean looksNumeric(String s) {
        return NUMERIC.matcher(s).matches();
    }

    private static double leadingNumber(String s) {
        java.util.regex.Matcher m = Pattern.compile("^\\s*[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?").matcher(s);
        return m.find() ? Double.parseDouble(m.group().strip()) : 0;
    }

    // ---- runtime ----------------------------------------------------------------------------------------------

    private static final class Next extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Next() {
            super(null, null, false, false);
        }
    }

    private static final class ExitAwk extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        ExitAwk(int status) {
            super(null, null, false, false);
            this.status = status;
        }
    }

    private final class Env {
        final Map<String, Val> vars = new HashMap<>();
        String record = "";
        List<String> fields = new ArrayList<>();
        final StringBuilder out = new StringBuilder();

        Val get(String name) {
            if (name.equals("NF")) {
                return Val.num(fields.size());
            }
            Val v = vars.get(name);
            return v == null ? Val.str("") : v;
        }

        void set(String name, Val v) {
            if (name.equals("NF")) {
                int nf = (int) v.number();
                while (fields.size() < nf) {
                    fields.add("");
                }
                while (fields.size() > nf) {
                    fields.remove(fields.size() - 1);
                }
                rebuild();
                return;
            }
            vars.put(name, v);
        }

        void setRecord(String line) {
            record = line;
            fields = split(line, get("FS").string());
        }

        Val field(int i) {
            if (i == 0) {
                return Val.input(record);
            }
            return i <= fields.size() ? Val.input(fields.get(i - 1)) : Val.input("");
        }

        void setField(int i, String value) {
            if (i == 0) {
                setRecord(value);
                return;
            }
            while (fields.size() < i) {
                fields.add("");
            }
            fields.set(i - 1, value);
            rebuild();
        }

        void rebuild() {
            record = String.join(get("OFS").string(), fields);
        }
    }

    private static List<String> split(String line, String fs) {
        List<String> fields = new ArrayList<>();
        if (fs.equals(" ")) {
            for (String f : line.strip().split("[ \t\n]+")) {
                if (!f.isEmpty()) {
                    fields.add(f);
                }
            }
        } else if (line.isEmpty()) {
            return fields;
        } else {
            String re = fs.length() == 1 && fs.charAt(0) != '\\' ? Pattern.quote(fs) : fs;
            for (String f : line.split(re, -1)) {
                fields.add(f);
            }
        }
        return fields;
    }

    @FunctionalInterface
    private interface Expr {
        Val eval(Env env);
    }

    @FunctionalInterface
    private interface Stmt {
        void exec(Env env);
    }

    private record Rule(Expr pattern, Stmt action, boolean begin, boolean end) {
    }

    // ---- entry point ------------------------------------------------------------------------------------------

    static int run(Proc p) throws IOException, Proc.Usage {
        List<String> args = p.args;
        Map<String, String> assigns = new HashMap<>();
        String fs = null;
        String program = null;
        int i = 1;
        for (; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                i++;
                break;
            }
            if (a.equals("-F") && i + 1 < args.size()) {
                fs = args.get(++i);
            } else if (a.startsWith("-F")) {
                fs = a.substring(2);
            } else if (a.equals("-v") && i + 1 < args.size()) {
                String v = args.get(++i);
                int eq = v.indexOf('=');
                if (eq <= 0) {
                    throw new Proc.Usage("improper assignment: -v " + v, 2);
                }
                assigns.put(v.substring(0, eq), unescape(v.substring(eq + 1)));
            } else if (a.equals("-f") && i + 1 < args.size()) {
                program = new String(p.readAll(args.get(++i)), StandardCharsets.UTF_8);
            } else if (a.startsWith("-") && a.length() > 1) {
                throw new Proc.Usage("not an option: " + a, 2);
            } else {
                break;
            }
        }
        if (program == null) {
            if (i >= args.size()) {
                throw new Proc.Usage("usage: awk [-F fs][-v var=value][prog | -f progfile][file ...]", 2);
            }
            program = args.get(i++);
        }
        List<String> files = new ArrayList<>(args.subList(i, args.size()));
        Awk awk = new Awk(program);
        List<Rule> rules;
        try {
            rules = awk.program();
        } catch (IllegalArgumentException e) {
            p.error("syntax error: " + e.getMessage());
            return 2;
        }
        Env env = awk.new Env();
        env.vars.put("FS", Val.str(fs == null ? " " : fs.equals("t") ? "\t" : unescape(fs)));
        env.vars.put("OFS", Val.str(" "));
        env.vars.put("ORS", Val.str("\n"));
        env.vars.put("NR", Val.num(0));
        assigns.forEach((k, v) -> env.vars.put(k, Val.input(v)));
        int status = 0;
        try {
            try {
                for (Rule r : rules) {
                    if (r.begin()) {
                        r.action().exec(env);
                    }
                }
                boolean hasMain = rules.stream().anyMatch(r -> !r.begin() && !r.end())
                        || rules.stream().anyMatch(Rule::end);
                List<String> inputs = new ArrayList<>();
                for (String f : files) {
                    int eq = f.indexOf('=');
                    if (eq > 0 && f.substring(0, eq).matches("[A-Za-z_][A-Za-z0-9_]*")) {
                        continue; // var=value operands are not supported as files
                    }
                    inputs.add(f);
                }
                if (hasMain) {
                    List<String> lines = p.lines(inputs);
                    long nr = 0;
                    for (String line : lines) {
                        env.vars.put("NR", Val.num(++nr));
                        env.setRecord(line);
                        try {
                            for (Rule r : rules) {
                                if (r.begin() || r.end()) {
                                    continue;
                                }
                                if (r.pattern() == null || r.pattern().eval(env).truth()) {
                                    r.action().exec(env);
                                }
                            }
                        } catch (Next n) {
                            // on to the next record
                        }
                    }
                }
            } catch (ExitAwk e) {
                status = e.status;
            }
            for (Rule r : rules) {
                if (r.end()) {
                    r.action().exec(env);
                }
            }
        } catch (ExitAwk e) {
            status = e.status;
        } catch (ArithmeticException e) {
            p.print(env.out.toString());
            p.error("division by zero");
            return 2;
        }
        p.print(env.out.toString());
        return status;
    }

    private static String unescape(String s) {
        StringBuilder sb = new StringBuilder();
        Printf.escapes(s, sb, false);
        return sb.toString();
    }

    // ---- lexer ------------------------------------------------------------------------------------------------

    private enum T { NUMBER, STRING, REGEX, NAME, FUNC, KEYWORD, OP, NEWLINE, EOF }

    private record Token(T type, String text) {
    }

    private static final java.util.Set<String> KEYWORDS = java.util.Set.of("BEGIN", "END", "if", "else", "while",
            "for", "print", "printf", "next", "exit", "do");
    private static final java.util.Set<String> FUNCS = java.util.Set.of("length", "substr", "index", "tolower",
            "toupper", "int", "sprintf");

    private final List<Token> tokens = new ArrayList<>();
    private int at;

    private Awk(String program) {
        lex(program);
    }

    private void lex(String src) {
        int i = 0;
        while (i < src.length()) {
            char c = src.charAt(i);
            if (c == ' ' || c == '\t' || c == '\r') {
                i++;
            } else if (c == '\\' && i + 1 < src.length() && src.charAt(i + 1) == '\n') {
                i += 2;
            } else if (c == '#') {
                while (i < src.length() && src.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '\n' || c == ';') {
                tokens.add(new Token(T.NEWLINE, String.valueOf(c)));
                i++;
            } else if (Character.isDigit(c) || (c == '.' && i + 1 < src.length() && Character.isDigit(src.charAt(i + 1)))) {
                int s = i;
                while (i < src.length() && (Character.isDigit(src.charAt(i)) || src.charAt(i) == '.')) {
                    i++;
                }
                if (i < src.length() && (src.charAt(i) == 'e' || src.charAt(i) == 'E')) {
                    i++;
                    if (i < src.length() && (src.charAt(i) == '+' || src.charAt(i) == '-')) {
                        i++;
                    }
                    while (i < src.length() && Character.isDigit(src.charAt(i))) {
                        i++;
                    }
                }
                tokens.add(new Token(T.NUMBER, src.substring(s, i)));
            } else if (Character.isLetter(c) || c == '_') {
                int s = i;
                while (i < src.length() && (Character.isLetterOrDigit(src.charAt(i)) || src.charAt(i) == '_')) {
                    i++;
                }
                String word = src.substring(s, i);
                tokens.add(new Token(KEYWORDS.contains(word) ? T.KEYWORD : FUNCS.contains(word) ? T.FUNC : T.NAME,
                        word));
            } else if (c == '"') {
                int end = closing(src, i + 1, '"', "string");
                tokens.add(new Token(T.STRING, unescape(src.substring(i + 1, end))));
                i = end + 1;
            } else if (c == '/' && regexAllowed()) {
                int end = closing(src, i + 1, '/', "regular expression");
                tokens.add(new Token(T.REGEX, src.substring(i + 1, end)));
                i = end + 1;
            } else {
                String op = null;
                for (String candidate : new String[] {"&&", "||", "==", "!=", "<=", ">=", "!~", "++", "--", "+=", "-=",
                    "*=", "/=", "%=", "^="}) {
                    if (src.startsWith(candidate, i)) {
                        op = candidate;
                        break;
                    }
                }
                if (op == null) {
                    if ("{}()$,<>!~+-*/%?:=^".indexOf(c) < 0) {
                        throw new IllegalArgumentException("unexpected character '" + c + "'");
                    }
                    op = String.valueOf(c);
                }
                tokens.add(new Token(T.OP, op));
                i += op.length();
            }
        }
        tokens.add(new Token(T.EOF, ""));
    }

    /** Where the literal starting at {@code from} ends: its unescaped {@code delimiter}; escapes are kept as written. */
    private static int closing(String src, int from, char delimiter, String what) {
        int i = from;
        while (i < src.length() && src.charAt(i) != delimiter) {
            i += src.charAt(i) == '\\' && i + 1 < src.length() ? 2 : 1;
        }
        if (i >= src.length()) {
            throw new IllegalArgumentException("non-terminated " + what);
        }
        return i;
    }

    private boolean regexAllowed() {
        if (tokens.isEmpty()) {
            return true;
        }
        Token last = tokens.get(tokens.size() - 1);
        return switch (last.type()) {
            case NUMBER, STRING, NAME, REGEX -> false;
            case OP -> !(last.text().equals(")") || last.text().equals("++") || last.text().equals("--")
                    || last.text().equals("$"));
            default -> true;
        };
    }

    // ---- parser -----------------------------------------------------------------------------------------------

    private Token peek() {
        return tokens.get(at);
    }

    private boolean isOp(String op) {
        Token t = peek();
        return t.type() == T.OP && t.text().equals(op);
    }

    private boolean isKeyword(String k) {
        Token t = peek();
        return t.type() == T.KEYWORD && t.text().equals(k);
    }

    private void expect(String op) {
        if (!isOp(op)) {
            throw new IllegalArgumentException("expected " + op + " near " + peek().text());
        }
        at++;
    }

    private void newlines() {
        while (peek().type() == T.NEWLINE) {
            at++;
        }
    }

    private List<Rule> program() {
        List<Rule> rules = new ArrayList<>();
        newlines();
        while (peek().type() != T.EOF) {
            if (isKeyword("BEGIN") || isKeyword("END")) {
                boolean begin = peek().text().equals("BEGIN");
                at++;
                newlines();
                rules.add(new Rule(null, block(), begin, !begin));
            } else {
                Expr pattern = isOp("{") ? null : expression();
                Stmt action = isOp("{") ? block() : env -> env.out.append(env.record).append(env.get("ORS").string());
                rules.add(new Rule(pattern, action, false, false));
            }
            newlines();
        }
        return rules;
    }

    private Stmt block() {
        expect("{");
        List<Stmt> body = new ArrayList<>();
        newlines();
        while (!isOp("}")) {
            if (peek().type() == T.EOF) {
                throw new IllegalArgumentException("missing }");
            }
            body.add(statement());
            newlines();
        }
        at++;
        return env -> body.forEach(s -> s.exec(env));
    }

    private Stmt statement() {
        if (isOp("{")) {
            return block();
        }
        if (isKeyword("if")) {
            at++;
            expect("(");
            Expr cond = expression();
            expect(")");
            newlines();
            Stmt then = statement();
            int save = at;
            newlines();
            if (isKeyword("else")) {
                at++;
                newlines();
                Stmt otherwise = statement();
                return env -> {
                    if (cond.eval(env).truth()) {
                        then.exec(env);
                    } else {
                        otherwise.exec(env);
                    }
                };
            }
            at = save;
            return env -> {
                if (cond.eval(env).truth()) {
                    then.exec(env);
                }
            };
        }
        if (isKeyword("while")) {
            at++;
            expect("(");
            Expr cond = expression();
            expect(")");
            newlines();
            Stmt body = statement();
            return env -> {
                while (cond.eval(env).truth()) {
                    body.exec(env);
                }
            };
        }
        if (isKeyword("for")) {
            at++;
            expect("(");
            Expr init = isOp(";") || peek().type() == T.NEWLINE ? null : expression();
            skipSemicolon();
            Expr cond = peek().type() == T.NEWLINE ? null : expression();
            skipSemicolon();
            Expr step = isOp(")") ? null : expression();
            expect(")");
            newlines();
            Stmt body = statement();
            return env -> {
                if (init != null) {
                    init.eval(env);
                }
                while (cond == null || cond.eval(env).truth()) {
                    body.exec(env);
                    if (step != null) {
                        step.eval(env);
                    }
                }
            };
        }
        if (isKeyword("next")) {
            at++;
            return env -> {
                throw new Next();
            };
        }
        if (isKeyword("exit")) {
            at++;
            Expr code = peek().type() == T.NEWLINE || isOp("}") ? null : expression();
            return env -> {
                throw new ExitAwk(code == null ? 0 : (int) code.eval(env).number());
            };
        }
        if (isKeyword("print") || isKeyword("printf")) {
            boolean formatted = peek().text().equals("printf");
            at++;
            List<Expr> args = new ArrayList<>();
            boolean parens = isOp("(");
            if (parens) {
                at++;
            }
            if (!(peek().type() == T.NEWLINE || isOp("}") || peek().type() == T.EOF || (parens && isOp(")")))) {
                args.add(parens ? expression() : nonComparison());
                while (isOp(",")) {
                    at++;
                    args.add(parens ? expression() : nonComparison());
                }
            }
            if (parens) {
                expect(")");
            }
            if (formatted) {
                return env -> env.out.append(sprintf(args, env));
            }
            return env -> {
                if (args.isEmpty()) {
                    env.out.append(env.record);
                } else {
                    List<String> parts = new ArrayList<>();
                    for (Expr e : args) {
                        parts.add(e.eval(env).string());
                    }
                    env.out.append(String.join(env.get("OFS").string(), parts));
                }
                env.out.append(env.get("ORS").string());
            };
        }
        Expr e = expression();
        return e::eval;
    }

    private void skipSemicolon() {
        if (peek().type() == T.NEWLINE) {
            at++;
        } else {
            throw new IllegalArgumentException("expected ; in for");
        }
    }

    /** In {@code print a > b}, {@code >} would be output redirection; here it is simply not allowed unparenthesized. */
    private Expr nonComparison() {
        return ternary();
    }

    private Expr expression() {
        return assignment();
    }

    private Expr assignment() {
        int save = at;
        Lvalue target = lvalue();
        if (target != null && peek().type() == T.OP && java.util.Set.of("=", "+=", "-=", "*=", "/=", "%=", "^=")
                .contains(peek().text()) && !(peek().text().equals("=") && isComparisonContext())) {
            String op = peek().text();
            at++;
            Expr rhs = assignment();
            return env -> {
                Val r = rhs.eval(env);
                Val v = op.equals("=") ? r : Val.num(arith(op.substring(0, 1), target.get(env).number(), r.number()));
                target.set(env, v);
                return v;
            };
        }
        at = save;
        return ternary();
    }

    private boolean isComparisonContext() {
        return false;
    }

    /** Something assignable: a variable or a field. */
    private interface Lvalue {
        Val get(Env env);

        void set(Env env, Val v);
    }

    private Lvalue lvalue() {
        if (peek().type() == T.NAME) {
            String name = peek().text();
            at++;
            return new Lvalue() {
                @Override
                public Val get(Env env) {
                    return env.get(name);
                }

                @Override
                public void set(Env env, Val v) {
                    env.set(name, v);
                }
            };
        }
        if (isOp("$")) {
            at++;
            Expr index = primary();
            return new Lvalue() {
                @Override
                public Val get(Env env) {
                    return env.field((int) index.eval(env).number());
                }

                @Override
                public void set(Env env, Val v) {
                    env.setField((int) index.eval(env).number(), v.string());
                }
            };
        }
        return null;
    }

    private Expr ternary() {
        Expr cond = or();
        if (isOp("?")) {
            at++;
            Expr a = ternary();
            expect(":");
            Expr b = ternary();
            return env -> cond.eval(env).truth() ? a.eval(env) : b.eval(env);
        }
        return cond;
    }

    private Expr or() {
        Expr left = and();
        while (isOp("||")) {
            at++;
            newlines();
            Expr l = left;
            Expr r = and();
            left = env -> Val.num(l.eval(env).truth() || r.eval(env).truth() ? 1 : 0);
        }
        return left;
    }

    private Expr and() {
        Expr left = match();
        while (isOp("&&")) {
            at++;
            newlines();
            Expr l = left;
            Expr r = match();
            left = env -> Val.num(l.eval(env).truth() && r.eval(env).truth() ? 1 : 0);
        }
        return left;
    }

    private Expr match() {
        Expr left = comparison();
        while (isOp("~") || isOp("!~")) {
            boolean negate = peek().text().equals("!~");
            at++;
            Expr l = left;
            Expr r;
            if (peek().type() == T.REGEX) {
                Pattern re = Patterns.posixRegex(peek().text(), true, false);
                at++;
                r = env -> Val.str(re.pattern());
            } else {
                r = comparison();
            }
            left = env -> {
                boolean m = Patterns.posixRegex(r.eval(env).string(), true, false).matcher(l.eval(env).string())
                        .find();
                return Val.num(m != negate ? 1 : 0);
            };
        }
        return left;
    }

    private Expr comparison() {
        Expr left = concatenation();
        if (peek().type() == T.OP && java.util.Set.of("<", "<=", ">", ">=", "==", "!=").contains(peek().text())) {
            String op = peek().text();
            at++;
            Expr l = left;
            Expr r = concatenation();
            return env -> {
                Val a = l.eval(env);
                Val b = r.eval(env);
                int c = a.numeric() && b.numeric() ? Double.compare(a.number(), b.number())
                        : a.string().compareTo(b.string());
                boolean result = switch (op) {
                    case "<" -> c < 0;
                    case "<=" -> c <= 0;
                    case ">" -> c > 0;
                    case ">=" -> c >= 0;
                    case "==" -> c == 0;
                    default -> c != 0;
                };
                return Val.num(result ? 1 : 0);
            };
        }
        return left;
    }

    private boolean startsOperand() {
        Token t = peek();
        return switch (t.type()) {
            case NUMBER, STRING, REGEX, NAME, FUNC -> true;
            case OP -> t.text().equals("$") || t.text().equals("(") || t.text().equals("!") || t.text().equals("-")
                    || t.text().equals("++") || t.text().equals("--");
            default -> false;
        };
    }

    private Expr concatenation() {
        Expr left = additive();
        while (startsOperand() && !isOp("-") && !isOp("!")) {
            Expr l = left;
            Expr r = additive();
            left = env -> Val.str(l.eval(env).string() + r.eval(env).string());
        }
        return left;
    }

    private Expr additive() {
        Expr left = multiplicative();
        while (isOp("+") || isOp("-")) {
            String op = peek().text();
            at++;
            Expr l = left;
            Expr r = multiplicative();
            left = env -> Val.num(arith(op, l.eval(env).number(), r.eval(env).number()));
        }
        return left;
    }

    private Expr multiplicative() {
        Expr left = unary();
        while (isOp("*") || isOp("/") || isOp("%")) {
            String op = peek().text();
            at++;
            Expr l = left;
            Expr r = unary();
            left = env -> Val.num(arith(op, l.eval(env).number(), r.eval(env).number()));
        }
        return left;
    }

    private static double arith(String op, double a, double b) {
        return switch (op) {
            case "+" -> a + b;
            case "-" -> a - b;
            case "*" -> a * b;
            case "/" -> {
                if (b == 0) {
                    throw new ArithmeticException("division by zero");
                }
                yield a / b;
            }
            case "%" -> {
                if (b == 0) {
                    throw new ArithmeticException("division by zero");
                }
                yield a % b;
            }
            default -> Math.pow(a, b);
        };
    }

    private Expr unary() {
        if (isOp("!")) {
            at++;
            Expr e = unary();
            return env -> Val.num(e.eval(env).truth() ? 0 : 1);
        }
        if (isOp("-")) {
            at++;
            Expr e = unary();
            return env -> Val.num(-e.eval(env).number());
        }
        if (isOp("+")) {
            at++;
            Expr e = unary();
            return env -> Val.num(e.eval(env).number());
        }
        return power();
    }

    private Expr power() {
        Expr base = postfix();
        if (isOp("^")) {
            at++;
            Expr exponent = unary();
            return env -> Val.num(Math.pow(base.eval(env).number(), exponent.eval(env).number()));
        }
        return base;
    }

    private Expr postfix() {
        if (isOp("++") || isOp("--")) {
            double delta = peek().text().equals("++") ? 1 : -1;
            at++;
            Lvalue target = lvalue();
            if (target == null) {
                throw new IllegalArgumentException("++ or -- needs a variable");
            }
            return env -> {
                Val v = Val.num(target.get(env).number() + delta);
                target.set(env, v);
                return v;
            };
        }
        int save = at;
        Lvalue target = lvalue();
        if (target != null && (isOp("++") || isOp("--"))) {
            double delta = peek().text().equals("++") ? 1 : -1;
            at++;
            return env -> {
                Val old = Val.num(target.get(env).number());
                target.set(env, Val.num(old.number() + delta));
                return old;
            };
        }
        at = save;
        return primary();
    }

    private Expr primary() {
        Token t = peek();
        switch (t.type()) {
            case NUMBER -> {
                at++;
                double d = Double.parseDouble(t.text());
                return env -> Val.num(d);
            }
            case STRING -> {
                at++;
                return env -> Val.str(t.text());
            }
            case REGEX -> {
                at++;
                Pattern re = Patterns.posixRegex(t.text(), true, false);
                return env -> Val.num(re.matcher(env.record).find() ? 1 : 0);
            }
            case NAME -> {
                at++;
                return env -> env.get(t.text());
            }
            case FUNC -> {
                return function();
            }
            case OP -> {
                if (t.text().equals("$")) {
                    at++;
                    Expr index = primary();
                    return env -> env.field((int) index.eval(env).number());
                }
                if (t.text().equals("(")) {
                    at++;
                    Expr e = expression();
                    expect(")");
                    return e;
                }
                if (t.text().equals("-") || t.text().equals("!")) {
                    return unary();
                }
            }
            default -> {
                // falls through to the error
            }
        }
        throw new IllegalArgumentException("unexpected " + (t.type() == T.EOF ? "end of program" : t.text()));
    }

    private Expr function() {
        String name = peek().text();
        at++;
        List<Expr> args = new ArrayList<>();
        if (isOp("(")) {
            at++;
            if (!isOp(")")) {
                args.add(expression());
                while (isOp(",")) {
                    at++;
                    args.add(expression());
                }
            }
            expect(")");
        }
        return switch (name) {
            case "length" -> env -> Val.num((args.isEmpty() ? env.record : args.get(0).eval(env).string()).length());
            case "substr" -> env -> {
                String s = args.get(0).eval(env).string();
                double m = Math.rint(args.get(1).eval(env).number());
                double n = args.size() > 2 ? Math.rint(args.get(2).eval(env).number()) : Double.POSITIVE_INFINITY;
                double start = Math.max(m, 1);
                double end = Math.min(m + n, s.length() + 1);
                return Val.str(end <= start ? "" : s.substring((int) start - 1, (int) end - 1));
            };
            case "index" -> env -> Val.num(args.get(0).eval(env).string().indexOf(args.get(1).eval(env).string()) + 1);
            case "tolower" -> env -> Val.str(args.get(0).eval(env).string().toLowerCase(Locale.ROOT));
            case "toupper" -> env -> Val.str(args.get(0).eval(env).string().toUpperCase(Locale.ROOT));
            case "int" -> env -> Val.num((long) args.get(0).eval(env).number());
            default -> env -> Val.str(sprintf(args, env)); // sprintf
        };
    }

    private static String sprintf(List<Expr> args, Env env) {
        if (args.isEmpty()) {
            return "";
        }
        String format = args.get(0).eval(env).string();
        StringBuilder out = new StringBuilder();
        int next = 1;
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            int start = i++;
            while (i < format.length() && "-+ #0123456789.".indexOf(format.charAt(i)) >= 0) {
                i++;
            }
            if (i >= format.length()) {
                out.append(format.substring(start));
                break;
            }
            char conv = format.charAt(i);
            String spec = format.substring(start, i);
            if (conv == '%') {
                out.append('%');
                continue;
            }
            Val v = next < args.size() ? args.get(next++).eval(env) : Val.str("");
            out.append(switch (conv) {
                case 'd', 'i' -> String.format(Locale.ROOT, spec + "d", (long) v.number());
                case 'o', 'x', 'X' -> String.format(Locale.ROOT, spec + conv, (long) v.number());
                case 'c' -> v.isNumber() ? String.valueOf((char) v.number())
                        : v.string().isEmpty() ? "" : v.string().substring(0, 1);
                case 'e', 'E', 'f', 'g', 'G' -> String.format(Locale.ROOT, spec + conv, v.number());
                default -> String.format(Locale.ROOT, spec.replace("0", "") + "s", v.string());
            });
        }
        return out.toString();
    }
}
