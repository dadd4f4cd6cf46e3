package dev.capstan.testkit.fleet.sh;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The commands a shell implements itself: {@code cd}, {@code set}, {@code read}, {@code test}, {@code echo}, ... */
final class Builtins {

    /** What {@code command -v} and {@code type} call shell builtins (everything else lives in /usr/bin). */
    static final Set<String> SHELL_BUILTINS = Set.of(":", ".", "[", "break", "cd", "command", "continue", "echo",
            "eval", "exec", "exit", "export", "false", "local", "printf", "pwd", "read", "readonly", "return", "set",
            "shift", "source", "test", "trap", "true", "type", "ulimit", "umask", "unset", "wait");

    private Builtins() {
    }

    static void register(Map<String, Utility> map) {
        map.put(":", p -> 0);
        map.put("true", p -> 0);
        map.put("false", p -> 1);
        map.put("exit", Builtins::exit);
        map.put("return", Builtins::returnBuiltin);
        map.put("break", p -> loopControl(p, true));
        map.put("continue", p -> loopControl(p, false));
        map.put("cd", Builtins::cd);
        map.put("pwd", Builtins::pwd);
        map.put("export", Builtins::export);
        map.put("readonly", Builtins::export);
        map.put("unset", Builtins::unset);
        map.put("local", Builtins::local);
        map.put("set", Builtins::set);
        map.put("shift", Builtins::shift);
        map.put("read", Builtins::read);
        map.put("eval", p -> p.sh.runScript(String.join(" ", p.args.subList(1, p.args.size())), p.ctx, "sh", false));
        map.put(".", Builtins::source);
        map.put("source", Builtins::source);
        map.put("echo", Builtins::echo);
        map.put("printf", Printf::run);
        map.put("test", p -> TestCommand.run(p, false));
        map.put("[", p -> TestCommand.run(p, true));
        map.put("command", Builtins::command);
        map.put("type", Builtins::type);
        map.put("which", Builtins::which);
        map.put("wait", Builtins::waitBuiltin);
        map.put("exec", Builtins::exec);
        map.put("trap", Builtins::trap);
        map.put("umask", p -> {
            if (p.args.size() == 1) {
                p.println("0022");
            }
            return 0;
        });
        map.put("ulimit", p -> {
            p.println("unlimited");
            return 0;
        });
    }

    private static int number(Proc p, String text, int fallback) throws Proc.Usage {
        if (text == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new Proc.Usage("Illegal number: " + text, 2);
        }
    }

    private static int exit(Proc p) throws Proc.Usage {
        int status = number(p, p.args.size() > 1 ? p.args.get(1) : null, p.state.lastStatus);
        throw new Signals.Exit(status & 0xff);
    }

    private static int returnBuiltin(Proc p) throws Proc.Usage {
        int status = number(p, p.args.size() > 1 ? p.args.get(1) : null, p.state.lastStatus);
        throw new Signals.Return(status & 0xff);
    }

    private static int loopControl(Proc p, boolean isBreak) throws Proc.Usage {
        int levels = number(p, p.args.size() > 1 ? p.args.get(1) : null, 1);
        throw new Signals.LoopControl(isBreak, Math.max(1, levels));
    }

    private static int cd(Proc p) throws IOException {
        List<String> args = p.args.subList(1, p.args.size()).stream().filter(a -> !a.equals("-L")).toList();
        boolean physical = !args.isEmpty() && args.get(0).equals("-P");
        if (physical) {
            args = args.subList(1, args.size());
        }
        String target = args.isEmpty() ? p.state.get("HOME") : args.get(0);
        if (target == null) {
            target = "/";
        }
        boolean print = false;
        if (target.equals("-")) {
            target = p.state.get("OLDPWD") == null ? p.state.cwd : p.state.get("OLDPWD");
            print = true;
        }
        String dir = normalize(p.abs(target));
        if (physical) {
            try {
                dir = p.fs().resolve(dir);
            } catch (FsException e) {
                // reported below as a failed cd
            }
        }
        HostFs.Stat stat = p.fs().stat(dir);
        if (stat == null || !stat.isDirectory()) {
            Interpreter.writeErr(p.ctx, "sh: cd: can't cd to " + target);
            return 2;
        }
        p.state.set("OLDPWD", p.state.cwd);
        p.state.cwd = dir;
        p.state.set("PWD", dir);
        if (print) {
            p.println(dir);
        }
        return 0;
    }

    /** Removes {@code .}, {@code ..} and doubled slashes without looking at the file system. */
    static String normalize(String path) {
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (!parts.isEmpty()) {
                    parts.remove(parts.size() - 1);
                }
            } else {
                parts.add(part);
            }
        }
        return "/" + String.join("/", parts);
    }

    private static int pwd(Proc p) throws IOException {
        String dir = p.state.cwd;
        if (p.args.contains("-P")) {
            dir = p.fs().resolve(dir);
        }
        p.println(dir);
        return 0;
    }

    private static int export(Proc p) throws IOException {
        for (String arg : p.args.subList(1, p.args.size())) {
            if (arg.equals("-p") || arg.equals("-n")) {
                continue;
            }
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg : arg.substring(0, eq);
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                Interpreter.writeErr(p.ctx, "sh: " + p.name() + ": " + arg + ": bad variable name");
                return 2;
            }
            if (eq >= 0) {
                p.state.set(name, arg.substring(eq + 1));
            }
        }
        if (p.args.size() == 1 || p.args.get(1).equals("-p")) {
            for (Map.Entry<String, String> e : new TreeMap<>(p.state.vars).entrySet()) {
                p.println("export " + e.getKey() + "=" + quote(e.getValue()));
            }
        }
        return 0;
    }

    private static int unset(Proc p) {
        boolean functions = false;
        for (String arg : p.args.subList(1, p.args.size())) {
            if (arg.equals("-f")) {
                functions = true;
            } else if (arg.equals("-v")) {
                functions = false;
            } else if (functions) {
                p.state.functions.remove(arg);
            } else {
                p.state.unset(arg);
            }
        }
        return 0;
    }

    private static int local(Proc p) {
        for (String arg : p.args.subList(1, p.args.size())) {
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg : arg.substring(0, eq);
            p.state.makeLocal(name);
            if (eq >= 0) {
                p.state.set(name, arg.substring(eq + 1));
            }
        }
        return 0;
    }

    private static int set(Proc p) throws IOException {
        List<String> args = p.args.subList(1, p.args.size());
        if (args.isEmpty()) {
            for (Map.Entry<String, String> e : new TreeMap<>(p.state.vars).entrySet()) {
                p.println(e.getKey() + "=" + quote(e.getValue()));
            }
            return 0;
        }
        int i = 0;
        for (; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                i++;
                p.state.positional = List.copyOf(args.subList(i, args.size()));
                return 0;
            }
            if ((a.startsWith("-") || a.startsWith("+")) && a.length() > 1) {
                boolean on = a.startsWith("-");
                if (a.substring(1).equals("o")) {
                    if (i + 1 >= args.size()) {
                        p.println("errexit " + (p.state.errexit ? "on" : "off"));
                        continue;
                    }
                    if (!option(p.state, args.get(++i), on)) {
                        Interpreter.writeErr(p.ctx, "sh: set: Illegal option -o " + args.get(i));
                        return 2;
                    }
                    continue;
                }
                for (char c : a.substring(1).toCharArray()) {
                    String name = switch (c) {
                        case 'e' -> "errexit";
                        case 'C' -> "noclobber";
                        case 'u' -> "nounset";
                        case 'x', 'v', 'f', 'a', 'b', 'm', 'h', 'n' -> "ignored";
                        default -> null;
                    };
                    if (name == null) {
                        Interpreter.writeErr(p.ctx, "sh: set: Illegal option -" + c);
                        return 2;
                    }
                    option(p.state, name, on);
                }
                continue;
            }
            break;
        }
        if (i < args.size()) {
            p.state.positional = List.copyOf(args.subList(i, args.size()));
        }
        return 0;
    }

    private static boolean option(State state, String name, boolean on) {
        switch (name) {
            case "errexit" -> state.errexit = on;
            case "noclobber" -> state.noclobber = on;
            case "nounset" -> state.nounset = on;
            case "pipefail" -> state.pipefail = on;
            case "ignored", "xtrace", "verbose", "noglob", "allexport", "monitor", "notify", "noexec" -> {
                // accepted, without effect here
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private static int shift(Proc p) throws Proc.Usage {
        int n = number(p, p.args.size() > 1 ? p.args.get(1) : null, 1);
        if (n > p.state.positional.size()) {
            throw new Proc.Usage("can't shift that many", 2);
        }
        p.state.positional = List.copyOf(p.state.positional.subList(n, p.state.positional.size()));
        return 0;
    }

    private static int read(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("rs", "pdtnu");
        boolean raw = o.has('r');
        List<String> names = o.operands.isEmpty() ? List.of("REPLY") : o.operands;
        String prompt = o.value('p');
        if (prompt != null) {
            p.err.write(prompt.getBytes(StandardCharsets.UTF_8));
        }
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean sawAny = false;
        boolean eof = false;
        InputStream in = p.in;
        while (true) {
            int b = in.read();
            if (b < 0) {
                eof = true;
                break;
            }
            sawAny = true;
            if (b == '\n') {
                break;
            }
            if (b == '\\' && !raw) {
                int next = in.read();
                if (next < 0) {
                    eof = true;
                    break;
                }
                if (next != '\n') {
                    line.write(0); // a marker for "escaped": the next byte is never a separator
                    line.write(next);
                }
                continue;
            }
            line.write(b);
        }
        assignFields(p, line.toString(StandardCharsets.UTF_8), names);
        return eof && !sawAny ? 1 : eof ? 1 : 0;
    }

    /** Splits a line read by {@code read} over the names, the rest of the line going to the last one. */
    private static void assignFields(Proc p, String line, List<String> names) {
        String ifs = p.state.get("IFS") == null ? " \t\n" : p.state.get("IFS");
        List<String> fields = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int i = 0;
        int n = line.length();
        // leading IFS whitespace
        while (i < n && ifs.indexOf(line.charAt(i)) >= 0 && Character.isWhitespace(line.charAt(i))) {
            i++;
        }
        while (i < n && fields.size() < names.size() - 1) {
            char c = line.charAt(i);
            if (c == 0 && i + 1 < n) {
                current.append(line.charAt(i + 1));
                i += 2;
                continue;
            }
            if (ifs.indexOf(c) >= 0) {
                fields.add(current.toString());
                current.setLength(0);
                i++;
                while (i < n && ifs.indexOf(line.charAt(i)) >= 0 && Character.isWhitespace(line.charAt(i))) {
                    i++;
                }
                continue;
            }
            current.append(c);
            i++;
        }
        String rest = current + line.substring(i).replace("\0", "");
        int end = rest.length();
        while (end > 0 && ifs.indexOf(rest.charAt(end - 1)) >= 0 && Character.isWhitespace(rest.charAt(end - 1))) {
            end--;
        }
        fields.add(rest.substring(0, end));
        for (int k = 0; k < names.size(); k++) {
            p.state.set(names.get(k), k < fields.size() ? fields.get(k) : "");
        }
    }

    private static int source(Proc p) throws IOException {
        if (p.args.size() < 2) {
            Interpreter.writeErr(p.ctx, "sh: " + p.name() + ": filename argument required");
            return 2;
        }
        String file = p.args.get(1);
        String text;
        try (InputStream in = p.fs().openRead(p.abs(file))) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (FsException e) {
            Interpreter.writeErr(p.ctx, "sh: " + p.name() + ": cannot open " + file + ": " + e.getMessage());
            return 2;
        }
        List<String> saved = p.state.positional;
        if (p.args.size() > 2) {
            p.state.positional = List.copyOf(p.args.subList(2, p.args.size()));
        }
        try {
            return p.sh.runScript(text, p.ctx, "sh", false);
        } catch (Signals.Return r) {
            return r.status;
        } finally {
            if (p.args.size() > 2) {
                p.state.positional = saved;
            }
        }
    }

    private static int echo(Proc p) throws IOException {
        List<String> args = p.args.subList(1, p.args.size());
        boolean newline = true;
        boolean escapes = false;
        int i = 0;
        for (; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.matches("-[neE]+")) {
                break;
            }
            for (char c : a.substring(1).toCharArray()) {
                switch (c) {
                    case 'n' -> newline = false;
                    case 'e' -> escapes = true;
                    default -> escapes = false;
                }
            }
        }
        String text = String.join(" ", args.subList(i, args.size()));
        if (escapes) {
            StringBuilder sb = new StringBuilder();
            if (Printf.escapes(text, sb, true)) {
                newline = false;
            }
            text = sb.toString();
        }
        p.print(newline ? text + "\n" : text);
        return 0;
    }

    /** {@code command -v}, {@code type}, {@code which}: how a name would run. */
    private static String describe(Proc p, String name) {
        if (p.state.functions.containsKey(name)) {
            return "function";
        }
        if (SHELL_BUILTINS.contains(name)) {
            return "builtin";
        }
        if (p.sh.isUtility(name)) {
            return "/usr/bin/" + name;
        }
        if (name.contains("/")) {
            HostFs.Stat s = p.fs().stat(p.abs(name));
            if (s != null && s.isFile() && (s.mode() & 0111) != 0) {
                return name;
            }
        }
        return null;
    }

    private static int command(Proc p) throws IOException {
        List<String> args = p.args.subList(1, p.args.size());
        int i = 0;
        boolean v = false;
        boolean verbose = false;
        for (; i < args.size() && args.get(i).startsWith("-") && args.get(i).length() > 1; i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                i++;
                break;
            }
            v |= a.contains("v");
            verbose |= a.contains("V");
        }
        List<String> rest = args.subList(i, args.size());
        if (rest.isEmpty()) {
            return 0;
        }
        if (!v && !verbose) {
            return p.sh.invoke(new ArrayList<>(rest), p.ctx, true);
        }
        int status = 0;
        for (String name : rest) {
            String kind = describe(p, name);
            if (kind == null) {
                status = 1;
                if (verbose) {
                    Interpreter.writeErr(p.ctx, "sh: command: " + name + ": not found");
                }
                continue;
            }
            if (verbose) {
                p.println(typeLine(name, kind));
            } else {
                p.println(kind.equals("function") || kind.equals("builtin") ? name : kind);
            }
        }
        return status;
    }

    private static String typeLine(String name, String kind) {
        return switch (kind) {
            case "function" -> name + " is a shell function";
            case "builtin" -> name + " is a shell builtin";
            default -> name + " is " + kind;
        };
    }

    private static int type(Proc p) throws IOException {
        int status = 0;
        for (String name : p.args.subList(1, p.args.size())) {
            String kind = describe(p, name);
            if (kind == null) {
                Interpreter.writeErr(p.ctx, "sh: type: " + name + ": not found");
                status = 1;
            } else {
                p.println(typeLine(name, kind));
            }
        }
        return status;
    }

    private static int which(Proc p) throws IOException {
        int status = 0;
        for (String name : p.args.subList(1, p.args.size())) {
            if (name.startsWith("-")) {
                continue;
            }
            if (p.sh.isUtility(name) && !Set.of(":", ".", "[", "break", "cd", "continue", "eval", "exec", "exit",
                    "export", "local", "readonly", "return", "set", "shift", "source", "trap", "unset", "wait")
                    .contains(name)) {
                p.println("/usr/bin/" + name);
            } else {
                status = 1;
            }
        }
        return status;
    }

    /** {@code wait}: for every job, status 0; {@code wait PID...}: for those, the status of the last one. */
    private static int waitBuiltin(Proc p) throws InterruptedException {
        List<String> pids = p.args.subList(1, p.args.size());
        if (pids.isEmpty()) {
            for (State.Job job : List.copyOf(p.state.jobs.values())) {
                job.await();
            }
            p.state.jobs.clear();
            return 0;
        }
        int status = 0;
        for (String pid : pids) {
            State.Job job = pid.matches("\\d{1,9}") ? p.state.jobs.remove(Integer.parseInt(pid)) : null;
            if (job == null) {
                Interpreter.writeErr(p.ctx, "sh: wait: pid " + pid + " is not a child of this shell");
                status = 127;
            } else {
                status = job.await();
            }
        }
        return status;
    }

    private static int exec(Proc p) {
        if (p.args.size() == 1) {
            return 0; // exec with only redirections: not kept for later commands here
        }
        int status = p.sh.invoke(new ArrayList<>(p.args.subList(1, p.args.size())), p.ctx, true);
        throw new Signals.Exit(status);
    }

    private static int trap(Proc p) throws IOException {
        List<String> args = p.args.subList(1, p.args.size());
        if (args.isEmpty()) {
            if (p.state.exitTrap != null) {
                p.println("trap -- " + quote(p.state.exitTrap) + " EXIT");
            }
            return 0;
        }
        String action = args.get(0);
        for (String signal : args.subList(1, args.size())) {
            if (signal.equals("EXIT") || signal.equals("0")) {
                p.state.exitTrap = action.equals("-") || action.isEmpty() ? null : action;
            }
        }
        return 0;
    }

    /** Single-quotes a value for re-input, as {@code set} and {@code export -p} print it. */
    static String quote(String value) {
        return "'" + value.replace("'", "'\\''") + "'";
    }
}
