package dev.capstan.engine;

import dev.capstan.CommandOptions;
import dev.capstan.ConfigException;
import dev.capstan.Shell;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The options of one {@code run}/{@code sudo}/{@code capture}/{@code test} call, as the recipe set them. */
final class CommandRequest implements CommandOptions {
    boolean once;
    final List<String> hosts = new ArrayList<>();
    final List<String> roles = new ArrayList<>();
    final Map<String, String> env = new LinkedHashMap<>();
    boolean pty;
    byte[] stdin;
    Duration timeout;
    String sudoUser;
    String directory;
    dev.capstan.transport.Prompt prompt;

    @Override
    public CommandOptions once() {
        once = true;
        return this;
    }

    @Override
    public CommandOptions hosts(String... names) {
        hosts.addAll(Arrays.asList(names));
        return this;
    }

    @Override
    public CommandOptions roles(String... names) {
        roles.addAll(Arrays.asList(names));
        return this;
    }

    @Override
    public CommandOptions env(String name, String value) {
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new ConfigException("invalid environment variable name '" + name + "'");
        }
        env.put(name, value);
        return this;
    }

    @Override
    public CommandOptions pty() {
        pty = true;
        return this;
    }

    @Override
    public CommandOptions stdin(String input) {
        stdin = input.getBytes(StandardCharsets.UTF_8);
        return this;
    }

    @Override
    public CommandOptions timeout(Duration limit) {
        if (limit == null || limit.isNegative() || limit.isZero()) {
            throw new ConfigException("a command timeout must be positive, got " + limit);
        }
        timeout = limit;
        return this;
    }

    @Override
    public CommandOptions as(String user) {
        sudoUser = user;
        return this;
    }

    @Override
    public CommandOptions within(String directory) {
        if (directory == null || directory.isBlank()) {
            throw new ConfigException("within: the directory is empty");
        }
        this.directory = directory;
        return this;
    }

    /** The options set that choose servers or concern them alone, which a command on this machine refuses. */
    List<String> serverOptions() {
        List<String> set = new ArrayList<>();
        if (once) {
            set.add("once()");
        }
        if (!hosts.isEmpty()) {
            set.add("hosts(...)");
        }
        if (!roles.isEmpty()) {
            set.add("roles(...)");
        }
        if (pty) {
            set.add("pty()");
        }
        if (sudoUser != null) {
            set.add("as(...)");
        }
        return set;
    }

    /**
     * For sudo: {@code command} with the change of directory of {@link #within} in front, which then no longer applies
     * around the whole line (sudo's own shell changes directory, as root).
     */
    String moveDirectoryInto(String command) {
        String line = inDirectory(command);
        directory = null;
        return line;
    }

    /**
     * {@code line} run in the directory of {@link #within}, if one was given: one line, whatever {@code line} holds.
     * A leading {@code ~} is the login's home, as a shell would read it unquoted; cd's own output (with CDPATH set)
     * goes nowhere, so that it never becomes part of a capture.
     */
    String inDirectory(String line) {
        return directory == null ? line : "cd -- " + quotedDirectory() + " >/dev/null || exit; " + line;
    }

    private String quotedDirectory() {
        if (directory.equals("~")) {
            return "\"$HOME\"";
        }
        return directory.startsWith("~/") ? "\"$HOME\"/" + Shell.quote(directory.substring(2)) : Shell.quote(directory);
    }
}
