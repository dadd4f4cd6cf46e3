package dev.capstan.testkit.fleet.sh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** One run of a builtin or emulated utility: its arguments, streams, and the shell it runs in. */
final class Proc {

    final Interpreter sh;
    final Interpreter.Ctx ctx;
    final State state;
    final List<String> args;
    final InputStream in;
    final OutputStream out;
    final OutputStream err;

    Proc(Interpreter sh, Interpreter.Ctx ctx, List<String> args) {
        this.sh = sh;
        this.ctx = ctx;
        this.state = ctx.state();
        this.args = args;
        this.in = ctx.in();
        this.out = ctx.out();
        this.err = ctx.err();
    }

    String name() {
        return args.get(0);
    }

    HostFs fs() {
        return sh.host().fs();
    }

    /** @return {@code path} made absolute against the working directory (not normalized) */
    String abs(String path) {
        if (path.startsWith("/")) {
            return path;
        }
        return state.cwd.equals("/") ? "/" + path : state.cwd + "/" + path;
    }

    void print(String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
    }

    void println(String s) throws IOException {
        print(s + "\n");
    }

    /** Writes {@code "name: message"} to stderr. */
    void error(String message) throws IOException {
        err.write((name() + ": " + message + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** @return 1, after writing the error */
    int fail(String message) throws IOException {
        error(message);
        return 1;
    }

    /** @return stdin for {@code "-"}, else the file */
    InputStream open(String operand) throws FsException {
        return operand.equals("-") ? in : fs().openRead(abs(operand));
    }

    /** Reads a whole input: stdin for {@code "-"}. */
    byte[] readAll(String operand) throws IOException {
        if (operand.equals("-")) {
            return in.readAllBytes();
        }
        try (InputStream s = fs().openRead(abs(operand))) {
            return s.readAllBytes();
        }
    }

    /** The lines of the operands (stdin when none), each without its newline. */
    List<String> lines(List<String> operands) throws IOException {
        List<String> lines = new ArrayList<>();
        for (String operand : operands.isEmpty() ? List.of("-") : operands) {
            splitLines(new String(readAll(operand), StandardCharsets.UTF_8), lines);
        }
        return lines;
    }

    static void splitLines(String text, List<String> into) {
        int start = 0;
        while (start < text.length()) {
            int nl = text.indexOf('\n', start);
            if (nl < 0) {
                into.add(text.substring(start));
                break;
            }
            into.add(text.substring(start, nl));
            start = nl + 1;
        }
    }

    /** Bad usage: the utility prints the message and exits with {@link #status}. */
    static final class Usage extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        Usage(String message, int status) {
            super(message);
            this.status = status;
        }
    }

    /**
     * Parses GNU-style options: clustered short flags ({@code -rf}), short options with a value ({@code -n 5},
     * {@code -n5}), long options mapped to short letters ({@code --force}, {@code --lines=5}), {@code --} to end
     * options; options may follow operands, as with GNU tools.
     *
     * @param flags    letters that take no value
     * @param valued   letters that take a value
     * @param longs    long name to letter; a name ending in {@code =} takes a value
     */
    Opts options(String flags, String valued, Map<String, Character> longs) throws Usage {
        Opts opts = new Opts();
        boolean ended = false;
        for (int i = 1; i < args.size(); i++) {
            String a = args.get(i);
            if (ended || a.equals("-") || !a.startsWith("-")) {
                opts.operands.add(a);
                continue;
            }
            if (a.equals("--")) {
                ended = true;
                continue;
            }
            if (a.startsWith("--")) {
                String name = a.substring(2);
                String value = null;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                }
                Character letter = longs.get(name);
                Character valuedLetter = longs.get(name + "=");
                if (letter != null) {
                    opts.flags.add(letter);
                } else if (valuedLetter != null) {
                    if (value == null) {
                        if (i + 1 >= args.size()) {
                            throw new Usage("option '--" + name + "' requires an argument", 1);
                        }
                        value = args.get(++i);
                    }
                    opts.put(valuedLetter, value);
                } else {
                    throw new Usage("unrecognized option '" + a + "'", 1);
                }
                continue;
            }
            for (int j = 1; j < a.length(); j++) {
                char c = a.charAt(j);
                if (flags.indexOf(c) >= 0) {
                    opts.flags.add(c);
                } else if (valued.indexOf(c) >= 0) {
                    String value;
                    if (j + 1 < a.length()) {
                        value = a.substring(j + 1);
                    } else if (i + 1 < args.size()) {
                        value = args.get(++i);
                    } else {
                        throw new Usage("option requires an argument -- '" + c + "'", 1);
                    }
                    opts.put(c, value);
                    break;
                } else {
                    throw new Usage("invalid option -- '" + c + "'", 1);
                }
            }
        }
        return opts;
    }

    Opts options(String flags, String valued) throws Usage {
        return options(flags, valued, Map.of());
    }

    /** Parsed options. */
    static final class Opts {
        final Set<Character> flags = new HashSet<>();
        final Map<Character, List<String>> values = new HashMap<>();
        final List<String> operands = new ArrayList<>();

        boolean has(char c) {
            return flags.contains(c) || values.containsKey(c);
        }

        String value(char c) {
            List<String> v = values.get(c);
            return v == null ? null : v.get(v.size() - 1);
        }

        List<String> all(char c) {
            return values.getOrDefault(c, List.of());
        }

        private void put(char c, String value) {
            values.computeIfAbsent(c, k -> new ArrayList<>()).add(value);
        }
    }
}
