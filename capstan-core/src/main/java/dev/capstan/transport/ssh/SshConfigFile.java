package dev.capstan.transport.ssh;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.sshd.client.config.hosts.HostConfigEntry;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;

/**
 * Reads an OpenSSH client config file ({@code ssh_config}) for MINA, which parses it but stops at what it does not
 * handle: one {@code Match} block anywhere made every host fail, a quoted pattern ({@code Host "web"}) broke the whole
 * file, and {@code Include} was silently skipped. So the text MINA gets is the file with
 * <ul>
 * <li>its {@code Include}s inlined (glob patterns, paths relative to {@code ~/.ssh}, nested up to 16 deep, a pattern
 *     that names no file is skipped, as OpenSSH does); an {@code Include} inside a {@code Host} block keeps the lines
 *     after it in that block, and the included file's own {@code Host} and {@code Match} blocks are left out, with a
 *     warning (OpenSSH applies them only where the outer block matches, which one flat file cannot say);</li>
 * <li>{@code Match all} read as {@code Host *}, and every other {@code Match} block left out, with one warning naming
 *     where they are: capstan does not evaluate Match criteria;</li>
 * <li>quotes around arguments removed, as OpenSSH reads them (an IdentityFile whose quoted path holds blanks is left
 *     out, with a warning: MINA would read it as two files);</li>
 * <li>environment variables ({@code ${HOME}}) in {@code IdentityFile} expanded, as OpenSSH expands them; one that is
 *     not set leaves the line out, with a warning.</li>
 * </ul>
 * Every other line goes to MINA as split here, keyword and arguments ({@code Port = 22} as {@code Port 22}); the
 * keywords capstan does not apply (ProxyCommand, UserKnownHostsFile, ...) are named once in a warning.
 */
final class SshConfigFile {

    /** OpenSSH's limit on nested {@code Include}s. */
    private static final int MAX_INCLUDE_DEPTH = 16;
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    private final Path sshDir;
    private final Function<String, String> env;
    private final EventLog log;
    private final List<String> lines = new ArrayList<>();
    private final List<String> ignoredMatches = new ArrayList<>();
    /** Keywords that change where or how trust is decided, which capstan does not apply: each with its first place. */
    private final java.util.Map<String, String> unsupported = new java.util.LinkedHashMap<>();
    private static final java.util.Map<String, String> UNSUPPORTED = java.util.Map.of(
            "proxycommand", "ProxyCommand (use ProxyJump, or the gateway variable)",
            "userknownhostsfile", "UserKnownHostsFile (use the ssh_known_hosts variable)",
            "globalknownhostsfile", "GlobalKnownHostsFile (use the ssh_known_hosts variable)",
            "hostkeyalias", "HostKeyAlias",
            "stricthostkeychecking", "StrictHostKeyChecking (use the host_key_checking variable)");

    private SshConfigFile(Path sshDir, Function<String, String> env, EventLog log) {
        this.sshDir = sshDir;
        this.env = env;
        this.log = log;
    }

    /**
     * Reads {@code file} (and what it includes) now; a missing file is an empty config.
     *
     * @param sshDir where relative {@code Include} paths point ({@code ~/.ssh})
     * @throws IOException when a file cannot be read or MINA cannot parse the result
     */
    static HostConfigEntryResolver read(Path file, Path sshDir, EventLog log) throws IOException {
        return read(file, sshDir, log, System::getenv);
    }

    /** As {@link #read(Path, Path, EventLog)}, with the environment variables {@code env} gives. */
    static HostConfigEntryResolver read(Path file, Path sshDir, EventLog log, Function<String, String> env)
            throws IOException {
        if (!Files.exists(file)) {
            return HostConfigEntryResolver.EMPTY;
        }
        SshConfigFile config = new SshConfigFile(sshDir, env, log);
        config.append(file, 0, null);
        config.unsupported.forEach((keyword, where) -> log.warn("ssh config: " + UNSUPPORTED.get(keyword)
                + " is not applied by capstan (first at " + where + ")"));
        if (!config.ignoredMatches.isEmpty()) {
            log.warn("ssh config: ignoring the Match block" + (config.ignoredMatches.size() == 1 ? " at " : "s at ")
                    + String.join(", ", config.ignoredMatches) + " (capstan applies Host blocks only; put what a"
                    + " server needs under Host, or set ssh_config=none)");
        }
        List<HostConfigEntry> entries;
        try {
            entries = HostConfigEntry.readHostConfigEntries(new StringReader(String.join("\n", config.lines)), true);
        } catch (RuntimeException e) {
            throw new IOException(SshSettings.displayPath(file) + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IOException(SshSettings.displayPath(file) + ": " + e.getMessage(), e);
        }
        return entries.isEmpty() ? HostConfigEntryResolver.EMPTY : HostConfigEntry.toHostConfigEntryResolver(entries);
    }

    /**
     * The text {@link #read} would give MINA for {@code file}, its {@code Include}s inlined, without warnings; "" for a
     * missing file. Two runs whose configs read the same here connect the same way.
     */
    static String inlined(Path file, Path sshDir) throws IOException {
        if (!Files.exists(file)) {
            return "";
        }
        SshConfigFile config = new SshConfigFile(sshDir, System::getenv, new EventLog(dev.capstan.event.EventSink.NONE));
        config.append(file, 0, null);
        return String.join("\n", config.lines);
    }

    /**
     * @param within the Host line of the block an {@code Include} of this file stands in, unless that is every host:
     *               the file's own Host blocks would apply only where that block matches too, which one flat file
     *               cannot say, so they are left out (with a warning) rather than applied to every host
     */
    private void append(Path file, int depth, String within) throws IOException {
        List<String> raw = Files.readAllLines(file);
        String block = null; // the Host line the lines belong to, null before the first
        boolean inMatch = false;
        for (int i = 0; i < raw.size(); i++) {
            Line line = Line.parse(raw.get(i));
            if (line == null) {
                lines.add(raw.get(i));
                continue;
            }
            String where = SshSettings.displayPath(file) + ":" + (i + 1);
            boolean opensBlock = line.keyword().equals("host") || line.keyword().equals("match");
            if (within != null && opensBlock) {
                log.warn("ssh config: leaving out " + SshSettings.displayPath(file) + " from line " + (i + 1)
                        + " on, its Host and Match blocks, included under '" + within
                        + "' (capstan cannot apply them only where that block matches)");
                return;
            }
            if (inMatch && !opensBlock) {
                continue; // a Match block left out, to its end
            }
            switch (line.keyword()) {
                case "match" -> {
                    inMatch = !(line.args().size() == 1 && line.args().getFirst().equalsIgnoreCase("all"));
                    if (inMatch) {
                        ignoredMatches.add(where);
                    } else {
                        block = "Host *";
                        lines.add(block);
                    }
                }
                case "host" -> {
                    block = "Host " + String.join(" ", line.args());
                    inMatch = false;
                    lines.add(block);
                }
                case "include" -> {
                    String enclosing = within != null ? within : block == null || block.equals("Host *") ? null : block;
                    include(file, i + 1, line.args(), depth, enclosing);
                    // what follows stays in this block, or applies to every host as at the top of the file
                    lines.add(block != null ? block : "Host *");
                }
                case "identityfile" -> {
                    if (line.args().stream().anyMatch(arg -> arg.chars().anyMatch(Character::isWhitespace))) {
                        // MINA splits the value at blanks: the key would be looked for as two files
                        log.warn("ssh config: leaving out the IdentityFile at " + where
                                + ": a path with blanks in it is not supported");
                    } else {
                        String expanded = expandVariables(line.args(), where);
                        if (expanded != null) {
                            lines.add(line.keywordAsWritten() + " " + expanded);
                        }
                    }
                }
                default -> {
                    if (UNSUPPORTED.containsKey(line.keyword())) {
                        unsupported.putIfAbsent(line.keyword(), where);
                    }
                    // as split here: MINA keeps the blank of "Port = 22" in the value
                    lines.add(line.keywordAsWritten() + " " + String.join(" ", line.args()));
                }
            }
        }
    }

    /** The arguments joined, each {@code ${NAME}} replaced by its value; {@code null} (and a warning) if one is unset. */
    private String expandVariables(List<String> args, String where) {
        StringBuilder out = new StringBuilder();
        for (String arg : args) {
            Matcher m = VARIABLE.matcher(arg);
            StringBuilder expanded = new StringBuilder();
            while (m.find()) {
                String value = env.apply(m.group(1));
                if (value == null) {
                    log.warn("ssh config: leaving out the IdentityFile at " + where + ": it uses ${" + m.group(1)
                            + "}, which is not set");
                    return null;
                }
                m.appendReplacement(expanded, Matcher.quoteReplacement(value));
            }
            m.appendTail(expanded);
            out.append(out.isEmpty() ? "" : " ").append(expanded);
        }
        return out.toString();
    }

    private void include(Path from, int lineNumber, List<String> patterns, int depth, String within) throws IOException {
        if (depth + 1 > MAX_INCLUDE_DEPTH) {
            throw new IOException(SshSettings.displayPath(from) + ":" + lineNumber + ": Include nested more than "
                    + MAX_INCLUDE_DEPTH + " deep");
        }
        for (String pattern : patterns) {
            for (Path file : matching(pattern)) {
                append(file, depth + 1, within);
            }
        }
    }

    /** The files a pattern names, sorted as glob(3) sorts them; none when nothing matches. */
    private List<Path> matching(String pattern) throws IOException {
        String expanded = pattern.equals("~") || pattern.startsWith("~/")
                ? SshSettings.home() + pattern.substring(1)
                : pattern;
        Path path = sshDir.resolve(expanded);
        Path dir = path.getParent();
        String name = path.getFileName().toString();
        if (name.chars().noneMatch(c -> c == '*' || c == '?' || c == '[')) {
            return Files.isRegularFile(path) ? List.of(path) : List.of();
        }
        if (dir == null || !Files.isDirectory(dir)) {
            return List.of();
        }
        PathMatcher matcher = dir.getFileSystem().getPathMatcher("glob:" + name);
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                if (matcher.matches(entry.getFileName()) && Files.isRegularFile(entry)) {
                    files.add(entry);
                }
            }
        }
        files.sort(null);
        return files;
    }

    /**
     * One config line split as OpenSSH splits it: a keyword, then arguments separated by blanks, each may be quoted.
     *
     * @param keyword the keyword in lower case
     * @param quoted  whether any argument was quoted (the line is then rewritten without quotes)
     */
    private record Line(String keyword, String keywordAsWritten, List<String> args, boolean quoted) {

        /** The line, or {@code null} for a blank line or a comment. */
        static Line parse(String text) {
            String s = text.strip();
            if (s.isEmpty() || s.startsWith("#")) {
                return null;
            }
            int end = 0;
            while (end < s.length() && !Character.isWhitespace(s.charAt(end)) && s.charAt(end) != '=') {
                end++;
            }
            String keyword = s.substring(0, end);
            int i = end;
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            if (i < s.length() && s.charAt(i) == '=') {
                i++;
            }
            List<String> args = new ArrayList<>();
            boolean quoted = false;
            StringBuilder arg = null;
            char quote = 0;
            for (; i < s.length(); i++) {
                char c = s.charAt(i);
                if (quote != 0) {
                    if (c == quote) {
                        quote = 0;
                    } else {
                        arg.append(c);
                    }
                } else if (c == '"' || c == '\'') {
                    quote = c;
                    quoted = true;
                    arg = arg == null ? new StringBuilder() : arg;
                } else if (Character.isWhitespace(c)) {
                    if (arg != null) {
                        args.add(arg.toString());
                        arg = null;
                    }
                } else if (c == '#' && arg == null) {
                    break; // a comment to the end of the line
                } else {
                    arg = arg == null ? new StringBuilder() : arg;
                    arg.append(c);
                }
            }
            if (arg != null) {
                args.add(arg.toString());
            }
            return new Line(keyword.toLowerCase(java.util.Locale.ROOT), keyword, args, quoted);
        }
    }
}
