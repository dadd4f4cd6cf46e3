package dev.capstan.testkit.fleet.sh;

import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * {@code test} and {@code [ ... ]}: file tests ({@code -e -f -d -s -r -w -x -L -h}), string tests ({@code -z -n = !=}),
 * integer comparisons ({@code -eq -ne -lt -le -gt -ge}), {@code -nt}/{@code -ot}, {@code !}, {@code -a},
 * {@code -o} and parentheses. Status 0 true, 1 false, 2 on bad usage.
 */
final class TestCommand {

    private static final Set<String> UNARY = Set.of("-e", "-f", "-d", "-s", "-r", "-w", "-x", "-L", "-h", "-z", "-n",
            "-b", "-c", "-p", "-S", "-t", "-g", "-u", "-k", "-O", "-G");
    private static final Set<String> BINARY = Set.of("=", "==", "!=", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "-nt",
            "-ot", "-ef", "<", ">");

    /** Bad usage: the message goes to stderr, status 2. */
    private static final class Bad extends Exception {
        private static final long serialVersionUID = 1L;

        Bad(String message) {
            super(message);
        }
    }

    private final Proc p;
    private final List<String> args;
    private int pos;

    private TestCommand(Proc p, List<String> args) {
        this.p = p;
        this.args = args;
    }

    static int run(Proc p, boolean bracket) throws IOException {
        List<String> args = p.args.subList(1, p.args.size());
        if (bracket) {
            if (args.isEmpty() || !args.get(args.size() - 1).equals("]")) {
                Interpreter.writeErr(p.ctx, "sh: [: missing ]");
                return 2;
            }
            args = args.subList(0, args.size() - 1);
        }
        TestCommand t = new TestCommand(p, args);
        try {
            boolean result = t.evaluate();
            return result ? 0 : 1;
        } catch (Bad e) {
            Interpreter.writeErr(p.ctx, "sh: " + (bracket ? "[" : "test") + ": " + e.getMessage());
            return 2;
        }
    }

    private boolean evaluate() throws Bad {
        // POSIX fixes the meaning by argument count up to four; beyond that, a precedence parser
        switch (args.size()) {
            case 0:
                return false;
            case 1:
                return !args.get(0).isEmpty();
            case 2:
                if (args.get(0).equals("!")) {
                    return args.get(1).isEmpty();
                }
                if (UNARY.contains(args.get(0))) {
                    return unary(args.get(0), args.get(1));
                }
                throw new Bad(args.get(0) + ": unexpected operator");
            case 3:
                if (BINARY.contains(args.get(1))) {
                    return binary(args.get(0), args.get(1), args.get(2));
                }
                if (args.get(0).equals("!")) {
                    pos = 1;
                    return !twoArguments(args.get(1), args.get(2));
                }
                if (args.get(0).equals("(") && args.get(2).equals(")")) {
                    return !args.get(1).isEmpty();
                }
                break;
            case 4:
                if (args.get(0).equals("!") && BINARY.contains(args.get(2))) {
                    return !binary(args.get(1), args.get(2), args.get(3));
                }
                break;
            default:
                break;
        }
        boolean result = or();
        if (pos < args.size()) {
            throw new Bad(args.get(pos) + ": unexpected operator");
        }
        return result;
    }

    private boolean twoArguments(String a, String b) throws Bad {
        if (a.equals("!")) {
            return b.isEmpty();
        }
        if (UNARY.contains(a)) {
            return unary(a, b);
        }
        throw new Bad(a + ": unexpected operator");
    }

    private boolean or() throws Bad {
        boolean v = and();
        while (pos < args.size() && args.get(pos).equals("-o")) {
            pos++;
            boolean r = and();
            v = v || r;
        }
        return v;
    }

    private boolean and() throws Bad {
        boolean v = not();
        while (pos < args.size() && args.get(pos).equals("-a")) {
            pos++;
            boolean r = not();
            v = v && r;
        }
        return v;
    }

    private boolean not() throws Bad {
        if (pos < args.size() && args.get(pos).equals("!")) {
            pos++;
            return !not();
        }
        return primary();
    }

    private boolean primary() throws Bad {
        if (pos >= args.size()) {
            throw new Bad("argument expected");
        }
        String a = args.get(pos);
        if (a.equals("(")) {
            pos++;
            boolean v = or();
            if (pos >= args.size() || !args.get(pos).equals(")")) {
                throw new Bad("closing paren expected");
            }
            pos++;
            return v;
        }
        if (pos + 2 < args.size() && BINARY.contains(args.get(pos + 1))) {
            boolean v = binary(a, args.get(pos + 1), args.get(pos + 2));
            pos += 3;
            return v;
        }
        if (UNARY.contains(a) && pos + 1 < args.size()) {
            boolean v = unary(a, args.get(pos + 1));
            pos += 2;
            return v;
        }
        pos++;
        return !a.isEmpty();
    }

    private boolean unary(String op, String operand) throws Bad {
        switch (op) {
            case "-z":
                return operand.isEmpty();
            case "-n":
                return !operand.isEmpty();
            case "-t":
                return false;
            default:
                break;
        }
        String path = p.abs(operand);
        if (operand.isEmpty()) {
            return false;
        }
        HostFs.Stat stat = op.equals("-L") || op.equals("-h") ? p.fs().lstat(path) : p.fs().stat(path);
        if (stat == null) {
            return false;
        }
        return switch (op) {
            case "-e" -> true;
            case "-f" -> stat.isFile();
            case "-d" -> stat.isDirectory();
            case "-s" -> stat.size() > 0;
            case "-r", "-O", "-G" -> true;
            case "-w" -> (stat.mode() & 0200) != 0;
            case "-x" -> (stat.mode() & 0111) != 0;
            case "-L", "-h" -> stat.isSymlink();
            case "-u" -> (stat.mode() & 04000) != 0;
            case "-g" -> (stat.mode() & 02000) != 0;
            case "-k" -> (stat.mode() & 01000) != 0;
            default -> false; // -b -c -p -S: no devices, pipes or sockets here
        };
    }

    private boolean binary(String a, String op, String b) throws Bad {
        switch (op) {
            case "=", "==":
                return a.equals(b);
            case "!=":
                return !a.equals(b);
            case "<":
                return a.compareTo(b) < 0;
            case ">":
                return a.compareTo(b) > 0;
            case "-nt", "-ot": {
                HostFs.Stat sa = p.fs().stat(p.abs(a));
                HostFs.Stat sb = p.fs().stat(p.abs(b));
                if (op.equals("-nt")) {
                    return sa != null && (sb == null || sa.modifiedMillis() > sb.modifiedMillis());
                }
                return sb != null && (sa == null || sa.modifiedMillis() < sb.modifiedMillis());
            }
            case "-ef": {
                try {
                    return p.fs().stat(p.abs(a)) != null && p.fs().resolve(p.abs(a)).equals(p.fs().resolve(p.abs(b)));
                } catch (FsException e) {
                    return false;
                }
            }
            default:
                break;
        }
        long x = integer(a);
        long y = integer(b);
        return switch (op) {
            case "-eq" -> x == y;
            case "-ne" -> x != y;
            case "-lt" -> x < y;
            case "-le" -> x <= y;
            case "-gt" -> x > y;
            default -> x >= y;
        };
    }

    private static long integer(String s) throws Bad {
        try {
            return Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            throw new Bad("Illegal number: " + s);
        }
    }
}
