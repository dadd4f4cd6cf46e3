package dev.capstan.testkit.fleet.sh;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntPredicate;

import dev.capstan.testkit.fleet.sh.Ast.AndOr;
import dev.capstan.testkit.fleet.sh.Ast.Arith;
import dev.capstan.testkit.fleet.sh.Ast.Assign;
import dev.capstan.testkit.fleet.sh.Ast.Case;
import dev.capstan.testkit.fleet.sh.Ast.CaseArm;
import dev.capstan.testkit.fleet.sh.Ast.CommandSub;
import dev.capstan.testkit.fleet.sh.Ast.For;
import dev.capstan.testkit.fleet.sh.Ast.FunctionDef;
import dev.capstan.testkit.fleet.sh.Ast.Group;
import dev.capstan.testkit.fleet.sh.Ast.Heredoc;
import dev.capstan.testkit.fleet.sh.Ast.If;
import dev.capstan.testkit.fleet.sh.Ast.Item;
import dev.capstan.testkit.fleet.sh.Ast.Lit;
import dev.capstan.testkit.fleet.sh.Ast.Loop;
import dev.capstan.testkit.fleet.sh.Ast.Node;
import dev.capstan.testkit.fleet.sh.Ast.Param;
import dev.capstan.testkit.fleet.sh.Ast.Part;
import dev.capstan.testkit.fleet.sh.Ast.Pipeline;
import dev.capstan.testkit.fleet.sh.Ast.Redir;
import dev.capstan.testkit.fleet.sh.Ast.Redirected;
import dev.capstan.testkit.fleet.sh.Ast.Seq;
import dev.capstan.testkit.fleet.sh.Ast.Simple;
import dev.capstan.testkit.fleet.sh.Ast.Subshell;
import dev.capstan.testkit.fleet.sh.Ast.Tilde;
import dev.capstan.testkit.fleet.sh.Ast.Word;

/**
 * A recursive-descent parser for the POSIX sh subset the emulated shell runs: lists ({@code ; & && || |},
 * newlines, {@code !}), {@code { }} and {@code ( )}, {@code if}, {@code while}/{@code until}, {@code for},
 * {@code case}, function definitions, redirections including here-documents, and words with single, double and
 * backslash quoting, {@code $name}, {@code ${name op word}}, {@code $(...)}, backquotes, {@code $((...))} and
 * {@code ~}. It reads characters directly; there is no separate tokenizer, since what a character means depends on
 * where it is.
 */
final class Parser {

    private static final Set<String> RESERVED = Set.of("if", "then", "else", "elif", "fi", "do", "done", "while",
            "until", "for", "in", "case", "esac", "{", "}", "!");
    private static final Set<String> CLOSERS = Set.of("then", "else", "elif", "fi", "do", "done", "esac", "}");
    private static final String[] REDIRECT_OPS = {"<<-", "<<", "<>", "<&", "<", ">>", ">&", ">|", ">"};

    private final String src;
    private int pos;
    private final List<Heredoc> pendingHeredocs = new ArrayList<>();

    private Parser(String src) {
        this.src = src;
    }

    /**
     * @param script the whole script
     * @return its command list
     * @throws SyntaxError when it is not valid, or {@link SyntaxError#incomplete() incomplete}
     */
    static Seq parse(String script) throws SyntaxError {
        Parser p = new Parser(script);
        Seq seq = p.list();
        p.skipBlanksAndNewlines();
        if (!p.atEnd()) {
            throw p.unexpected();
        }
        if (!p.pendingHeredocs.isEmpty()) {
            throw incomplete("here-document", p.pendingHeredocs.get(0).delimiter);
        }
        return seq;
    }

    /** Parses text with here-document rules: only {@code $}, backquote and backslash are special. */
    static Word expandable(String text) throws SyntaxError {
        Parser p = new Parser(text);
        List<Part> parts = new ArrayList<>();
        StringBuilder lit = new StringBuilder();
        while (!p.atEnd()) {
            char c = p.src.charAt(p.pos);
            if (c == '\\' && p.pos + 1 < p.src.length() && "$`\\\n".indexOf(p.src.charAt(p.pos + 1)) >= 0) {
                if (p.src.charAt(p.pos + 1) != '\n') {
                    lit.append(p.src.charAt(p.pos + 1));
                }
                p.pos += 2;
            } else if (c == '$' || c == '`') {
                flush(lit, parts, true);
                if (c == '$') {
                    p.dollar(parts, true);
                } else {
                    p.backquote(parts, true);
                }
            } else {
                lit.append(c);
                p.pos++;
            }
        }
        flush(lit, parts, true);
        return new Word(parts, text);
    }

    // ---- lists and commands -----------------------------------------------------------------------------------

    private Seq list() throws SyntaxError {
        List<Item> items = new ArrayList<>();
        while (true) {
            skipBlanksAndNewlines();
            if (atEnd() || at(")") || at(";;")) {
                break;
            }
            String word = peekPlainWord();
            if (word != null && CLOSERS.contains(word)) {
                break;
            }
            Node node = andOr();
            skipBlanks();
            if (at(";;")) {
                items.add(new Item(node, false));
                break;
            }
            if (at(";") || at("&")) {
                boolean background = src.charAt(pos) == '&';
                pos++;
                items.add(new Item(node, background));
                continue;
            }
            items.add(new Item(node, false));
            if (atEnd() || at(")") || at("\n")) {
                continue;
            }
            String next = peekPlainWord();
            if (next != null && CLOSERS.contains(next)) {
                continue; // e.g. "if true; then echo x fi" is caught by the caller
            }
            throw unexpected();
        }
        return new Seq(items);
    }

    private Node andOr() throws SyntaxError {
        Node first = pipeline();
        List<Boolean> ops = new ArrayList<>();
        List<Node> rest = new ArrayList<>();
        while (true) {
            skipBlanks();
            boolean and;
            if (at("&&")) {
                and = true;
            } else if (at("||")) {
                and = false;
            } else {
                break;
            }
            pos += 2;
            skipBlanksAndNewlines();
            ops.add(and);
            rest.add(pipeline());
        }
        return ops.isEmpty() ? first : new AndOr(first, ops, rest);
    }

    private Node pipeline() throws SyntaxError {
        skipBlanks();
        boolean negated = false;
        if ("!".equals(peekPlainWord())) {
            pos++;
            negated = true;
        }
        List<Node> commands = new ArrayList<>();
        commands.add(command());
        while (true) {
            skipBlanks();
            if (at("|") && !at("||")) {
                pos++;
                skipBlanksAndNewlines();
                commands.add(command());
            } else {
                break;
            }
        }
        return commands.size() == 1 && !negated ? commands.get(0) : new Pipeline(commands, negated);
    }

    private Node command() throws SyntaxError {
        skipBlanks();
        if (atEnd()) {
            throw incomplete(null, null);
        }
        if (at("(")) {
            pos++;
            Seq body = list();
            expectOperator(")");
            return redirected(new Subshell(body));
        }
        if (at(")") || at(";") || at("&") || at("|") || at("\n")) {
            throw unexpected();
        }
        String word = peekPlainWord();
        if (word != null && RESERVED.contains(word)) {
            switch (word) {
                case "if":
                    return ifClause();
                case "while":
                case "until":
                    return loop(word.equals("until"));
                case "for":
                    return forClause();
                case "case":
                    return caseClause();
                case "{":
                    consumeWord("{");
                    Seq body = list();
                    expectWord("}");
                    return redirected(new Group(body));
                case "in":
                    break; // an ordinary word in command position
                default:
                    throw unexpected();
            }
        }
        return simpleCommand();
    }

    private Node redirected(Node node) throws SyntaxError {
        List<Redir> redirs = new ArrayList<>();
        while (true) {
            skipBlanks();
            if (!atRedirect()) {
                break;
            }
            redirect(redirs);
        }
        return redirs.isEmpty() ? node : new Redirected(node, redirs);
    }

    private Node ifClause() throws SyntaxError {
        consumeWord("if");
        List<Seq> conditions = new ArrayList<>();
        List<Seq> bodies = new ArrayList<>();
        conditions.add(list());
        expectWord("then");
        bodies.add(list());
        Seq elseBody = null;
        while (true) {
            skipBlanksAndNewlines();
            String word = peekPlainWord();
            if ("elif".equals(word)) {
                consumeWord("elif");
                conditions.add(list());
                expectWord("then");
                bodies.add(list());
            } else if ("else".equals(word)) {
                consumeWord("else");
                elseBody = list();
                expectWord("fi");
                break;
            } else {
                expectWord("fi");
                break;
            }
        }
        return redirected(new If(conditions, bodies, elseBody));
    }

    private Node loop(boolean until) throws SyntaxError {
        consumeWord(until ? "until" : "while");
        Seq condition = list();
        expectWord("do");
        Seq body = list();
        expectWord("done");
        return redirected(new Loop(condition, body, until));
    }

    private Node forClause() throws SyntaxError {
        consumeWord("for");
        skipBlanks();
        String name = atWordStart() ? readWord().literal() : null;
        if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new SyntaxError("Syntax error: Bad for loop variable", false);
        }
        List<Word> items = null;
        skipBlanks();
        if (at(";")) {
            pos++;
        } else {
            skipBlanksAndNewlines();
            if ("in".equals(peekPlainWord())) {
                consumeWord("in");
                items = new ArrayList<>();
                while (true) {
                    skipBlanks();
                    if (!atWordStart()) {
                        break;
                    }
                    items.add(readWord());
                }
                if (at(";")) {
                    pos++;
                } else if (!at("\n")) {
                    throw atEnd() ? incomplete(null, "do") : unexpected();
                }
            }
        }
        skipBlanksAndNewlines();
        expectWord("do");
        Seq body = list();
        expectWord("done");
        return redirected(new For(name, items, body));
    }

    private Node caseClause() throws SyntaxError {
        consumeWord("case");
        skipBlanks();
        if (!atWordStart()) {
            throw atEnd() ? incomplete(null, "in") : unexpected();
        }
        Word subject = readWord();
        skipBlanksAndNewlines();
        expectWord("in");
        List<CaseArm> arms = new ArrayList<>();
        while (true) {
            skipBlanksAndNewlines();
            if ("esac".equals(peekPlainWord())) {
                consumeWord("esac");
                break;
            }
            if (atEnd()) {
                throw incomplete(null, "esac");
            }
            if (at("(")) {
                pos++;
            }
            List<Word> patterns = new ArrayList<>();
            while (true) {
                skipBlanks();
                if (!atWordStart()) {
                    throw atEnd() ? incomplete(null, ")") : unexpected();
                }
                patterns.add(readWord());
                skipBlanks();
                if (at("|")) {
                    pos++;
                } else if (at(")")) {
                    pos++;
                    break;
                } else {
                    throw atEnd() ? incomplete(null, ")") : unexpected();
                }
            }
            Seq body = list();
            skipBlanksAndNewlines();
            arms.add(new CaseArm(patterns, body));
            if (at(";;")) {
                pos += 2;
            } else if (!"esac".equals(peekPlainWord())) {
                throw atEnd() ? incomplete(null, "esac") : unexpected();
            }
        }
        return redirected(new Case(subject, arms));
    }

    private Node simpleCommand() throws SyntaxError {
        List<Assign> assigns = new ArrayList<>();
        List<Word> words = new ArrayList<>();
        List<Redir> redirs = new ArrayList<>();
        while (true) {
            skipBlanks();
            if (atRedirect()) {
                redirect(redirs);
                continue;
            }
            if (!atWordStart()) {
                break;
            }
            Word word = readWord();
            Assign assign = words.isEmpty() ? assignment(word) : null;
            if (assign != null) {
                assigns.add(assign);
                continue;
            }
            words.add(word);
            if (words.size() == 1 && assigns.isEmpty() && redirs.isEmpty()) {
                Node function = functionDefinition(word);
                if (function != null) {
                    return function;
                }
            }
        }
        if (assigns.isEmpty() && words.isEmpty() && redirs.isEmpty()) {
            throw atEnd() ? incomplete(null, null) : unexpected();
        }
        return new Simple(assigns, words, redirs);
    }

    /** {@code name() body}, or null (position unchanged) when the word is not followed by {@code ()}. */
    private Node functionDefinition(Word word) throws SyntaxError {
        int save = pos;
        skipBlanks();
        if (!at("(")) {
            pos = save;
            return null;
        }
        pos++;
        skipBlanks();
        if (!at(")")) {
            throw unexpected();
        }
        pos++;
        String name = word.literal();
        if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_.-]*")) {
            throw new SyntaxError("Syntax error: Bad function name", false);
        }
        skipBlanksAndNewlines();
        return new FunctionDef(name, command());
    }

    private static Assign assignment(Word word) {
        if (word.parts().isEmpty() || !(word.parts().get(0) instanceof Lit first) || first.quoted()) {
            return null;
        }
        int eq = first.text().indexOf('=');
        if (eq <= 0 || !first.text().substring(0, eq).matches("[A-Za-z_][A-Za-z0-9_]*")) {
            return null;
        }
        List<Part> value = new ArrayList<>();
        if (eq + 1 < first.text().length()) {
            value.add(new Lit(first.text().substring(eq + 1), false));
        }
        value.addAll(word.parts().subList(1, word.parts().size()));
        String text = word.text().substring(Math.min(word.text().length(), word.text().indexOf('=') + 1));
        return new Assign(first.text().substring(0, eq), new Word(value, text));
    }

    // ---- redirections -----------------------------------------------------------------------------------------

    private boolean atRedirect() {
        if (at("&>")) {
            return true;
        }
        int i = pos;
        while (i < src.length() && Character.isDigit(src.charAt(i))) {
            i++;
        }
        for (String op : REDIRECT_OPS) {
            if (src.startsWith(op, i)) {
                return true;
            }
        }
        return false;
    }

    private void redirect(List<Redir> redirs) throws SyntaxError {
        if (at("&>")) { // bash: stdout and stderr to one file
            pos += 2;
            String op = ">";
            if (at(">")) {
                pos++;
                op = ">>";
            }
            redirs.add(new Redir(1, op, target(), null));
            redirs.add(new Redir(2, ">&", new Word(List.of(new Lit("1", false)), "1"), null));
            return;
        }
        int start = pos;
        while (Character.isDigit(src.charAt(pos))) {
            pos++;
        }
        String digits = src.substring(start, pos);
        String op = null;
        for (String candidate : REDIRECT_OPS) {
            if (src.startsWith(candidate, pos)) {
                op = candidate;
                break;
            }
        }
        pos += op.length();
        int fd = digits.isEmpty() ? (op.startsWith("<") ? 0 : 1) : Integer.parseInt(digits);
        if (op.startsWith("<<")) {
            skipBlanks();
            if (!atWordStart()) {
                throw atEnd() ? incomplete(null, null) : unexpected();
            }
            Word delimiter = readWord();
            StringBuilder text = new StringBuilder();
            boolean quoted = false;
            for (Part part : delimiter.parts()) {
                quoted |= part.quoted();
                if (part instanceof Lit lit) {
                    text.append(lit.text());
                } else {
                    text.append(delimiter.text()); // odd delimiters ($x) are taken literally, as sh does
                    break;
                }
            }
            Heredoc heredoc = new Heredoc(text.toString(), !quoted, op.equals("<<-"));
            pendingHeredocs.add(heredoc);
            redirs.add(new Redir(fd, "<<", null, heredoc));
            return;
        }
        redirs.add(new Redir(fd, op, target(), null));
    }

    private Word target() throws SyntaxError {
        skipBlanks();
        if (!atWordStart()) {
            throw atEnd() ? incomplete(null, null) : unexpected();
        }
        return readWord();
    }

    private void readHeredocBodies() throws SyntaxError {
        for (Heredoc h : pendingHeredocs) {
            StringBuilder body = new StringBuilder();
            while (true) {
                if (atEnd()) {
                    throw incomplete("here-document", h.delimiter);
                }
                int eol = src.indexOf('\n', pos);
                String line = eol < 0 ? src.substring(pos) : src.substring(pos, eol);
                pos = eol < 0 ? src.length() : eol + 1;
                if (h.stripTabs) {
                    line = line.replaceFirst("^\t+", "");
                }
                if (line.equals(h.delimiter)) {
                    break;
                }
                body.append(line).append('\n');
            }
            h.body = h.expand ? expandable(body.toString())
                    : new Word(List.of(new Lit(body.toString(), true)), body.toString());
        }
        pendingHeredocs.clear();
    }

    // ---- words ------------------------------------------------------------------------------------------------

    private static boolean isMeta(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '&' || c == '|' || c == '(' || c == ')'
                || c == '<' || c == '>';
    }

    private boolean atWordStart() {
        return !atEnd() && !isMeta(src.charAt(pos));
    }

    private Word readWord() throws SyntaxError {
        int start = pos;
        List<Part> parts = new ArrayList<>();
        if (src.charAt(pos) == '~') {
            int end = pos + 1;
            while (end < src.length() && (Character.isLetterOrDigit(src.charAt(end)) || "._-".indexOf(src.charAt(end)) >= 0)) {
                end++;
            }
            if (end == src.length() || src.charAt(end) == '/' || isMeta(src.charAt(end))) {
                parts.add(new Tilde(src.substring(pos + 1, end)));
                pos = end;
            }
        }
        wordParts(parts, c -> isMeta((char) c), false);
        return new Word(parts, src.substring(start, pos));
    }

    /** Reads word parts until {@code stop} matches an unquoted character (or the end). */
    private void wordParts(List<Part> parts, IntPredicate stop, boolean quoted) throws SyntaxError {
        StringBuilder lit = new StringBuilder();
        while (!atEnd()) {
            char c = src.charAt(pos);
            if (stop.test(c)) {
                break;
            }
            switch (c) {
                case '\\' -> {
                    if (pos + 1 >= src.length()) {
                        lit.append(c);
                        pos++;
                    } else if (src.charAt(pos + 1) == '\n') {
                        pos += 2;
                    } else {
                        flush(lit, parts, quoted);
                        parts.add(new Lit(String.valueOf(src.charAt(pos + 1)), true));
                        pos += 2;
                    }
                }
                case '\'' -> {
                    flush(lit, parts, quoted);
                    int end = src.indexOf('\'', pos + 1);
                    if (end < 0) {
                        throw incomplete("quote", "'");
                    }
                    parts.add(new Lit(src.substring(pos + 1, end), true));
                    pos = end + 1;
                }
                case '"' -> {
                    flush(lit, parts, quoted);
                    pos++;
                    doubleQuoted(parts);
                }
                case '$' -> {
                    flush(lit, parts, quoted);
                    dollar(parts, quoted);
                }
                case '`' -> {
                    flush(lit, parts, quoted);
                    backquote(parts, quoted);
                }
                default -> {
                    lit.append(c);
                    pos++;
                }
            }
        }
        flush(lit, parts, quoted);
    }

    private void doubleQuoted(List<Part> parts) throws SyntaxError {
        StringBuilder lit = new StringBuilder();
        int before = parts.size();
        while (true) {
            if (atEnd()) {
                throw incomplete("quote", "\"");
            }
            char c = src.charAt(pos);
            if (c == '"') {
                pos++;
                break;
            }
            if (c == '\\' && pos + 1 < src.length() && "$`\"\\\n".indexOf(src.charAt(pos + 1)) >= 0) {
                if (src.charAt(pos + 1) != '\n') {
                    lit.append(src.charAt(pos + 1));
                }
                pos += 2;
            } else if (c == '$') {
                flush(lit, parts, true);
                dollar(parts, true);
            } else if (c == '`') {
                flush(lit, parts, true);
                backquote(parts, true);
            } else {
                lit.append(c);
                pos++;
            }
        }
        if (!lit.isEmpty() || parts.size() == before) {
            parts.add(new Lit(lit.toString(), true)); // "" is an empty word, not no word
        }
    }

    private static void flush(StringBuilder lit, List<Part> parts, boolean quoted) {
        if (!lit.isEmpty()) {
            parts.add(new Lit(lit.toString(), quoted));
            lit.setLength(0);
        }
    }

    private void dollar(List<Part> parts, boolean quoted) throws SyntaxError {
        char next = pos + 1 < src.length() ? src.charAt(pos + 1) : 0;
        if (next == '(' && pos + 2 < src.length() && src.charAt(pos + 2) == '(') {
            int end = arithmeticEnd(pos + 3);
            parts.add(new Arith(expandable(src.substring(pos + 3, end)), quoted));
            pos = end + 2;
        } else if (next == '(') {
            pos += 2;
            Seq body = list();
            skipBlanksAndNewlines();
            expectOperator(")");
            parts.add(new CommandSub(body, quoted));
        } else if (next == '{') {
            pos += 2;
            braced(parts, quoted);
        } else if (next != 0 && "@*#?$!-0123456789".indexOf(next) >= 0) {
            parts.add(new Param(String.valueOf(next), null, null, quoted));
            pos += 2;
        } else if (Character.isLetter(next) || next == '_') {
            int end = pos + 1;
            while (end < src.length() && (Character.isLetterOrDigit(src.charAt(end)) || src.charAt(end) == '_')) {
                end++;
            }
            parts.add(new Param(src.substring(pos + 1, end), null, null, quoted));
            pos = end;
        } else {
            parts.add(new Lit("$", quoted));
            pos++;
        }
    }

    private int arithmeticEnd(int from) throws SyntaxError {
        int depth = 0;
        for (int i = from; i < src.length(); i++) {
            char c = src.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                if (depth == 0) {
                    if (i + 1 < src.length() && src.charAt(i + 1) == ')') {
                        return i;
                    }
                    throw new SyntaxError("Syntax error: arithmetic expression: missing ')'", false);
                }
                depth--;
            }
        }
        throw incomplete(null, "))");
    }

    private void braced(List<Part> parts, boolean quoted) throws SyntaxError {
        boolean length = false;
        if (at("#") && pos + 1 < src.length() && src.charAt(pos + 1) != '}') {
            length = true;
            pos++;
        }
        int start = pos;
        if (!atEnd() && (Character.isLetter(src.charAt(pos)) || src.charAt(pos) == '_')) {
            while (!atEnd() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                pos++;
            }
        } else if (!atEnd() && Character.isDigit(src.charAt(pos))) {
            while (!atEnd() && Character.isDigit(src.charAt(pos))) {
                pos++;
            }
        } else if (!atEnd() && "@*#?$!-".indexOf(src.charAt(pos)) >= 0) {
            pos++;
        }
        String name = src.substring(start, pos);
        if (atEnd()) {
            throw incomplete(null, "}");
        }
        if (name.isEmpty()) {
            throw new SyntaxError("Syntax error: Bad substitution", false);
        }
        if (length) {
            expectOperator("}");
            parts.add(new Param(name, "length", null, quoted));
            return;
        }
        if (at("}")) {
            pos++;
            parts.add(new Param(name, null, null, quoted));
            return;
        }
        String op = null;
        for (String candidate : new String[] {":-", ":=", ":+", ":?", "-", "=", "+", "?", "%%", "%", "##", "#"}) {
            if (src.startsWith(candidate, pos)) {
                op = candidate;
                break;
            }
        }
        if (op == null) {
            throw new SyntaxError("Syntax error: Bad substitution", false);
        }
        pos += op.length();
        int argStart = pos;
        List<Part> arg = new ArrayList<>();
        wordParts(arg, c -> c == '}', quoted);
        if (atEnd()) {
            throw incomplete(null, "}");
        }
        Word word = new Word(arg, src.substring(argStart, pos));
        pos++;
        parts.add(new Param(name, op, word, quoted));
    }

    private void backquote(List<Part> parts, boolean quoted) throws SyntaxError {
        StringBuilder inner = new StringBuilder();
        int i = pos + 1;
        while (true) {
            if (i >= src.length()) {
                throw incomplete("quote", "`");
            }
            char c = src.charAt(i);
            if (c == '`') {
                break;
            }
            if (c == '\\' && i + 1 < src.length() && "`\\$".indexOf(src.charAt(i + 1)) >= 0) {
                inner.append(src.charAt(i + 1));
                i += 2;
            } else {
                inner.append(c);
                i++;
            }
        }
        pos = i + 1;
        parts.add(new CommandSub(parse(inner.toString()), quoted));
    }

    // ---- low-level scanning -----------------------------------------------------------------------------------

    private boolean atEnd() {
        return pos >= src.length();
    }

    private boolean at(String s) {
        return src.startsWith(s, pos);
    }

    /** Skips spaces, tabs, escaped newlines and comments; stops at a newline. */
    private void skipBlanks() {
        while (!atEnd()) {
            char c = src.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\r') {
                pos++;
            } else if (c == '\\' && pos + 1 < src.length() && src.charAt(pos + 1) == '\n') {
                pos += 2;
            } else if (c == '#') {
                while (!atEnd() && src.charAt(pos) != '\n') {
                    pos++;
                }
            } else {
                break;
            }
        }
    }

    private void skipBlanksAndNewlines() throws SyntaxError {
        while (true) {
            skipBlanks();
            if (at("\n")) {
                pos++;
                if (!pendingHeredocs.isEmpty()) {
                    readHeredocBodies();
                }
            } else {
                break;
            }
        }
    }

    /** The word at the current position if it is plain text ending at a delimiter, else null. */
    private String peekPlainWord() {
        int i = pos;
        while (i < src.length()) {
            char c = src.charAt(i);
            if (isMeta(c)) {
                break;
            }
            if (c == '\'' || c == '"' || c == '\\' || c == '$' || c == '`') {
                return null;
            }
            i++;
        }
        return i == pos ? null : src.substring(pos, i);
    }

    private void consumeWord(String word) {
        pos += word.length();
    }

    private void expectWord(String word) throws SyntaxError {
        skipBlanksAndNewlines();
        if (word.equals(peekPlainWord())) {
            consumeWord(word);
            return;
        }
        throw atEnd() ? incomplete(null, word) : unexpected();
    }

    private void expectOperator(String op) throws SyntaxError {
        skipBlanksAndNewlines();
        if (at(op)) {
            pos += op.length();
            return;
        }
        throw atEnd() ? incomplete(null, op) : unexpected();
    }

    private SyntaxError unexpected() {
        String token;
        if (atEnd()) {
            token = "end of file";
        } else if (at("\n")) {
            token = "newline";
        } else {
            String word = peekPlainWord();
            if (word != null) {
                token = word;
            } else {
                int end = pos + 1;
                while (end < src.length() && end < pos + 2 && "&|;<>".indexOf(src.charAt(end)) >= 0) {
                    end++;
                }
                token = src.substring(pos, end);
            }
        }
        return new SyntaxError("Syntax error: \"" + token + "\" unexpected", false);
    }

    private static SyntaxError incomplete(String what, String expecting) {
        String message = "Syntax error: "
                + ("quote".equals(what) ? "Unterminated quoted string"
                        : "here-document".equals(what) ? "end of file unexpected (expecting here-document end \""
                                + expecting + "\")"
                        : "end of file unexpected" + (expecting == null ? "" : " (expecting \"" + expecting + "\")"));
        return new SyntaxError(message, true);
    }
}
