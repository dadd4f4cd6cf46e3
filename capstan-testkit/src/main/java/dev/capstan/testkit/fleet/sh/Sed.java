package dev.capstan.testkit.fleet.sh;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small {@code sed}: addresses ({@code N}, {@code $}, {@code /re/}, ranges, {@code !}), the commands {@code s} (flags
 * {@code g p N i}), {@code d p q Q = y a i c}, options {@code -n -e -f -E -r -i[SUFFIX]}.
 */
final class Sed {

    /** A line address: a number, {@code $}, or a regular expression. */
    private record Address(int line, boolean last, Pattern regex) {
        boolean matches(int n, boolean isLast, String space) {
            if (regex != null) {
                return regex.matcher(space).find();
            }
            return last ? isLast : n == line;
        }
    }

    private static final class Command {
        Address from;
        Address to;
        boolean negate;
        char name;
        Pattern regex;
        String replacement;
        boolean global;
        boolean print;
        int occurrence = 1;
        String text;
        String source;
        String target;
        int exitCode;
        boolean inRange;
    }

    private final String script;
    private final boolean extended;
    private int pos;

    private Sed(String script, boolean extended) {
        this.script = script;
        this.extended = extended;
    }

    static int run(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("nErsuz", "ef", Map.of("quiet", 'n', "silent", 'n', "regexp-extended", 'E',
                "expression=", 'e', "file=", 'f'));
        List<String> files = new ArrayList<>(o.operands);
        String inPlace = null;
        // -i takes an optional, attached suffix, which the generic parser cannot express
        List<String> raw = p.args.subList(1, p.args.size());
        for (String a : raw) {
            if (a.equals("-i") || a.equals("--in-place")) {
                inPlace = "";
            } else if (a.startsWith("-i") && !a.startsWith("-in")) {
                inPlace = a.substring(2);
            } else if (a.startsWith("--in-place=")) {
                inPlace = a.substring("--in-place=".length());
            }
        }
        files.removeIf(f -> f.startsWith("-i") || f.startsWith("--in-place"));
        StringBuilder script = new StringBuilder();
        for (String e : o.all('e')) {
            script.append(e).append('\n');
        }
        for (String f : o.all('f')) {
            script.append(new String(p.readAll(f), StandardCharsets.UTF_8)).append('\n');
        }
        if (script.isEmpty()) {
            if (files.isEmpty()) {
                throw new Proc.Usage("no script specified", 1);
            }
            script.append(files.remove(0));
        }
        List<Command> commands;
        try {
            commands = new Sed(script.toString(), o.has('E') || o.has('r')).parse();
        } catch (IllegalArgumentException e) {
            throw new Proc.Usage("-e expression #1: " + e.getMessage(), 1);
        }
        boolean quiet = o.has('n');
        if (inPlace != null) {
            int status = 0;
            for (String file : files) {
                String input;
                try {
                    input = new String(p.readAll(file), StandardCharsets.UTF_8);
                } catch (FsException e) {
                    status = p.fail("can't read " + file + ": " + e.getMessage());
                    continue;
                }
                StringBuilder out = new StringBuilder();
                execute(commands, input, quiet, out);
                if (!inPlace.isEmpty()) {
                    FileUtilities.copyFile(p.fs(), p.abs(file), p.abs(file + inPlace), true);
                }
                try (OutputStream w = p.fs().openWrite(p.abs(file), HostFs.WriteMode.TRUNCATE)) {
                    w.write(out.toString().getBytes(StandardCharsets.UTF_8));
                }
            }
            return status;
        }
        StringBuilder input = new StringBuilder();
        int status = 0;
        for (String file : files.isEmpty() ? List.of("-") : files) {
            try {
                input.append(new String(p.readAll(file), StandardCharsets.UTF_8));
            } catch (FsException e) {
                status = p.fail("can't read " + file + ": " + e.getMessage());
            }
        }
        StringBuilder out = new StringBuilder();
        int exit = execute(commands, input.toString(), quiet, out);
        p.print(out.toString());
        return exit != 0 ? exit : status;
    }

    private static int execute(List<Command> commands, String input, boolean quiet, StringBuilder out) {
        List<String> lines = new ArrayList<>();
        Proc.splitLines(input, lines);
        boolean trailingNewline = input.endsWith("\n");
        for (int n = 1; n <= lines.size(); n++) {
            boolean isLast = n == lines.size();
            String space = lines.get(n - 1);
            boolean deleted = false;
            StringBuilder append = new StringBuilder();
            String nl = isLast && !trailingNewline ? "" : "\n";
            for (Command c : commands) {
                if (!selected(c, n, isLast, space)) {
                    continue;
                }
                switch (c.name) {
                    case 's' -> {
                        Matcher m = c.regex.matcher(space);
                        StringBuilder sb = new StringBuilder();
                        int last = 0;
                        int count = 0;
                        boolean replaced = false;
                        while (m.find()) {
                            count++;
                            if (count >= c.occurrence && (c.global || count == c.occurrence)) {
                                sb.append(space, last, m.start()).append(replacement(c.replacement, m));
                                last = m.end();
                                replaced = true;
                                if (!c.global) {
                                    break;
                                }
                            }
                            if (m.end() == m.start() && m.end() >= space.length()) {
                                break;
                            }
                        }
                        if (replaced) {
                            sb.append(space.substring(last));
                            space = sb.toString();
                            if (c.print) {
                                out.append(space).append('\n');
                            }
                        }
                    }
                    case 'd' -> deleted = true;
                    case 'p' -> out.append(space).append('\n');
                    case '=' -> out.append(n).append('\n');
                    case 'y' -> {
                        StringBuilder sb = new StringBuilder();
                        for (char ch : space.toCharArray()) {
                            int i = c.source.indexOf(ch);
                            sb.append(i >= 0 ? c.target.charAt(i) : ch);
                        }
                        space = sb.toString();
                    }
                    case 'a' -> append.append(c.text).append('\n');
                    case 'i' -> out.append(c.text).append('\n');
                    case 'c' -> {
                        out.append(c.text).append('\n');
                        deleted = true;
                    }
                    case 'q', 'Q' -> {
                        if (c.name == 'q' && !quiet) {
                            out.append(space).append(nl);
                        }
                        out.append(append);
                        return c.exitCode;
                    }
                    default -> {
                        // parsed but nothing to do
                    }
                }
                if (deleted) {
                    break;
                }
            }
            if (!deleted && !quiet) {
                out.append(space).append(nl);
            }
            out.append(append);
        }
        return 0;
    }

    private static boolean selected(Command c, int n, boolean isLast, String space) {
        boolean match;
        if (c.from == null) {
            match = true;
        } else if (c.to == null) {
            match = c.from.matches(n, isLast, space);
        } else if (c.inRange) {
            match = true;
            if (c.to.regex == null ? (c.to.last ? isLast : n >= c.to.line) : c.to.matches(n, isLast, space)) {
                c.inRange = false;
            }
        } else if (c.from.matches(n, isLast, space)) {
            match = true;
            boolean endsHere = c.to.regex == null && !c.to.last && c.to.line <= n;
            c.inRange = !endsHere;
        } else {
            match = false;
        }
        return match != c.negate;
    }

    private static String replacement(String template, Matcher m) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < template.length(); i++) {
            char c = template.charAt(i);
            if (c == '\\' && i + 1 < template.length()) {
                char n = template.charAt(++i);
                if (Character.isDigit(n)) {
                    int g = n - '0';
                    sb.append(g <= m.groupCount() && m.group(g) != null ? m.group(g) : "");
                } else if (n == 'n') {
                    sb.append('\n');
                } else if (n == 't') {
                    sb.append('\t');
                } else {
                    sb.append(n);
                }
            } else if (c == '&') {
                sb.append(m.group());
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    // ---- parsing ----------------------------------------------------------------------------------------------

    private List<Command> parse() {
        List<Command> commands = new ArrayList<>();
        while (true) {
            skip(" \t\n;");
            if (pos >= script.length()) {
                return commands;
            }
            Command c = new Command();
            c.from = address();
            if (c.from != null && peek() == ',') {
                pos++;
                c.to = address();
                if (c.to == null) {
                    throw new IllegalArgumentException("unexpected `,'");
                }
            }
            skip(" \t");
            if (peek() == '!') {
                pos++;
                c.negate = true;
                skip(" \t");
            }
            if (pos >= script.length()) {
                throw new IllegalArgumentException("missing command");
            }
            c.name = script.charAt(pos++);
            switch (c.name) {
                case 's' -> {
                    char delim = script.charAt(pos++);
                    c.regex = Patterns.posixRegex(delimited(delim), extended, false);
                    c.replacement = delimited(delim);
                    int flags = 0;
                    while (pos < script.length() && ";\n} \t".indexOf(script.charAt(pos)) < 0) {
                        char f = script.charAt(pos++);
                        if (f == 'g') {
                            c.global = true;
                        } else if (f == 'p') {
                            c.print = true;
                        } else if (f == 'i' || f == 'I') {
                            flags |= Pattern.CASE_INSENSITIVE;
                        } else if (Character.isDigit(f)) {
                            c.occurrence = f - '0';
                        } else {
                            throw new IllegalArgumentException("unknown option to `s'");
                        }
                    }
                    if (flags != 0) {
                        c.regex = Pattern.compile(c.regex.pattern(), flags);
                    }
                }
                case 'y' -> {
                    char delim = script.charAt(pos++);
                    c.source = unescape(delimited(delim));
                    c.target = unescape(delimited(delim));
                    if (c.source.length() != c.target.length()) {
                        throw new IllegalArgumentException("strings for `y' command are different lengths");
                    }
                }
                case 'a', 'i', 'c' -> {
                    if (peek() == '\\') {
                        pos++;
                    }
                    skip(" \t\n");
                    int end = script.indexOf('\n', pos);
                    c.text = script.substring(pos, end < 0 ? script.length() : end);
                    pos = end < 0 ? script.length() : end;
                }
                case 'q', 'Q' -> {
                    skip(" \t");
                    int start = pos;
                    while (pos < script.length() && Character.isDigit(script.charAt(pos))) {
                        pos++;
                    }
                    c.exitCode = start == pos ? 0 : Integer.parseInt(script.substring(start, pos));
                }
                case 'd', 'p', '=' -> {
                    // no arguments
                }
                default -> throw new IllegalArgumentException("unknown command: `" + c.name + "'");
            }
            commands.add(c);
        }
    }

    private Address address() {
        char c = peek();
        if (Character.isDigit(c)) {
            int start = pos;
            while (pos < script.length() && Character.isDigit(script.charAt(pos))) {
                pos++;
            }
            return new Address(Integer.parseInt(script.substring(start, pos)), false, null);
        }
        if (c == '$') {
            pos++;
            return new Address(0, true, null);
        }
        if (c == '/' || c == '\\') {
            char delim = c == '\\' ? script.charAt(++pos) : c;
            pos++;
            return new Address(0, false, Patterns.posixRegex(delimited(delim), extended, false));
        }
        return null;
    }

    /** Reads up to the unescaped delimiter (consumed); {@code \delim} becomes the delimiter itself. */
    private String delimited(char delim) {
        StringBuilder sb = new StringBuilder();
        while (pos < script.length()) {
            char c = script.charAt(pos++);
            if (c == '\\' && pos < script.length()) {
                char n = script.charAt(pos++);
                if (n == delim) {
                    sb.append(n);
                } else {
                    sb.append('\\').append(n);
                }
                continue;
            }
            if (c == delim) {
                return sb.toString();
            }
            sb.append(c);
        }
        throw new IllegalArgumentException("unterminated `s' command");
    }

    private static String unescape(String s) {
        return s.replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\");
    }

    private char peek() {
        return pos < script.length() ? script.charAt(pos) : 0;
    }

    private void skip(String chars) {
        while (pos < script.length() && chars.indexOf(script.charAt(pos)) >= 0) {
            pos++;
        }
    }
}
