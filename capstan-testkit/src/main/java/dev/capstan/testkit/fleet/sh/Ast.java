package dev.capstan.testkit.fleet.sh;

import java.util.List;

/** The parsed form of a shell script: a small POSIX sh grammar. */
final class Ast {

    private Ast() {
    }

    /** Anything that runs and yields an exit status. */
    sealed interface Node permits Simple, Pipeline, AndOr, Seq, Group, Subshell, If, Loop, For, Case, FunctionDef,
            Redirected {
    }

    /** {@code a=1 cmd arg >file}. */
    record Simple(List<Assign> assigns, List<Word> words, List<Redir> redirs) implements Node {
    }

    /** {@code [!] a | b | c}. */
    record Pipeline(List<Node> commands, boolean negated) implements Node {
    }

    /** {@code a && b || c}: {@code ops.get(i)} is true for {@code &&}, joining {@code rest.get(i)}. */
    record AndOr(Node first, List<Boolean> ops, List<Node> rest) implements Node {
    }

    /** A command list; items run in order, or in the background when marked. */
    record Seq(List<Item> items) implements Node {
    }

    /** One list element and whether it ended in {@code &}. */
    record Item(Node node, boolean background) {
    }

    /** {@code { list; }}. */
    record Group(Seq body) implements Node {
    }

    /** {@code ( list )}. */
    record Subshell(Seq body) implements Node {
    }

    /** {@code if c1; then b1; elif c2; then b2; else e; fi}; {@code elseBody} may be null. */
    record If(List<Seq> conditions, List<Seq> bodies, Seq elseBody) implements Node {
    }

    /** {@code while/until cond; do body; done}. */
    record Loop(Seq condition, Seq body, boolean until) implements Node {
    }

    /** {@code for name in items; do body; done}; {@code items == null} means {@code "$@"}. */
    record For(String name, List<Word> items, Seq body) implements Node {
    }

    /** {@code case subject in p1|p2) body;; esac}. */
    record Case(Word subject, List<CaseArm> arms) implements Node {
    }

    /** One {@code pattern) body ;;} of a case. */
    record CaseArm(List<Word> patterns, Seq body) {
    }

    /** {@code name() body}. */
    record FunctionDef(String name, Node body) implements Node {
    }

    /** A compound command with redirections after it: {@code { ...; } 2>/dev/null}. */
    record Redirected(Node body, List<Redir> redirs) implements Node {
    }

    /** {@code name=value}. */
    record Assign(String name, Word value) {
    }

    /**
     * A redirection: {@code fd op target}. {@code op} is one of {@code > >> >| < <> >& <& <<}; for {@code <<} the
     * body is in {@code heredoc}.
     */
    record Redir(int fd, String op, Word target, Heredoc heredoc) {
    }

    /** A here-document body, filled in when the parser reaches the end of the line. */
    static final class Heredoc {
        final String delimiter;
        final boolean expand;
        final boolean stripTabs;
        Word body;

        Heredoc(String delimiter, boolean expand, boolean stripTabs) {
            this.delimiter = delimiter;
            this.expand = expand;
            this.stripTabs = stripTabs;
        }
    }

    /** A word as written: its parts, and its source text (for reserved words and error messages). */
    record Word(List<Part> parts, String text) {

        /** @return the word's value when it has no expansions; {@code null} otherwise */
        String literal() {
            StringBuilder sb = new StringBuilder();
            for (Part p : parts) {
                if (!(p instanceof Lit lit)) {
                    return null;
                }
                sb.append(lit.text());
            }
            return sb.toString();
        }

        /** @return whether any part was quoted */
        boolean anyQuoted() {
            return parts.stream().anyMatch(Part::quoted);
        }
    }

    /** A piece of a word. */
    sealed interface Part permits Lit, Param, CommandSub, Arith, Tilde {
        boolean quoted();
    }

    /** Literal text; quoted text is neither split nor globbed. */
    record Lit(String text, boolean quoted) implements Part {
    }

    /**
     * {@code $name}, {@code ${name}}, {@code ${name<op>arg}} with op one of {@code :- - := = :+ + :? ? % %% # ##}, or
     * {@code ${#name}} (op {@code "length"}).
     */
    record Param(String name, String op, Word arg, boolean quoted) implements Part {
    }

    /** {@code $(...)} or backquotes. */
    record CommandSub(Seq body, boolean quoted) implements Part {
    }

    /** {@code $((expr))}: the expression with its own expansions, evaluated after expanding. */
    record Arith(Word expression, boolean quoted) implements Part {
    }

    /** {@code ~} or {@code ~user} at the start of an unquoted word. */
    record Tilde(String user) implements Part {
        @Override
        public boolean quoted() {
            return false;
        }
    }
}
