package dev.capstan.transport.ssh;

import dev.capstan.Server;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * How the SSH transport connects, read from capstan variables with {@link #from(Function)}.
 *
 * <table>
 * <caption>Variables</caption>
 * <tr><th>variable</th><th>meaning</th><th>default</th></tr>
 * <tr><td>{@code ssh_known_hosts}</td>
 *     <td>extra known_hosts file(s), checked besides {@code ~/.ssh/known_hosts}</td><td>none</td></tr>
 * <tr><td>{@code host_key_checking}</td>
 *     <td>{@code strict}, {@code accept-new} or {@code off}</td><td>strict</td></tr>
 * <tr><td>{@code ssh_identity}</td>
 *     <td>private key file(s) instead of {@code ~/.ssh/id_*}</td><td>id_ed25519, id_ecdsa, id_rsa</td></tr>
 * <tr><td>{@code ssh_password}</td>
 *     <td>password; password authentication only when set</td><td>none</td></tr>
 * <tr><td>{@code ssh_user}</td>
 *     <td>user for servers that name none</td><td>ssh config, then the local user</td></tr>
 * <tr><td>{@code ssh_config}</td>
 *     <td>OpenSSH client config file; {@code none} disables</td><td>{@code ~/.ssh/config}</td></tr>
 * <tr><td>{@code gateway}</td>
 *     <td>jump host {@code [user@]host[:port]} in front of every server</td><td>none</td></tr>
 * <tr><td>{@code max_sessions}</td>
 *     <td>channels open at once per connection</td><td>10</td></tr>
 * <tr><td>{@code max_connections_per_host}</td>
 *     <td>connections per server when channels run out</td><td>2</td></tr>
 * <tr><td>{@code connect_timeout}</td>
 *     <td>seconds to connect and log in</td><td>10</td></tr>
 * <tr><td>{@code command_timeout}</td>
 *     <td>seconds a command may run</td><td>no limit</td></tr>
 * <tr><td>{@code keepalive_interval}</td>
 *     <td>seconds between keepalives; 0 disables</td><td>15</td></tr>
 * <tr><td>{@code keepalive_count_max}</td>
 *     <td>unanswered keepalives before the connection counts as lost</td><td>3</td></tr>
 * <tr><td>{@code ssh_persistent_shell}</td>
 *     <td>run commands on long-lived shell channels instead of a channel per command (see below)</td>
 *     <td>false</td></tr>
 * <tr><td>{@code ssh_keep_connections}</td>
 *     <td>seconds a background process keeps each host's connection open after a run, for the next run to
 *     use (see {@link dev.capstan.transport.kept.KeptConnections})</td><td>off</td></tr>
 * </table>
 *
 * <p>{@code ssh_persistent_shell}: each server keeps shell channels ({@code /bin/sh}, no pty) open between commands and
 * writes each command to one of them instead of opening an exec channel per command. A sequential command costs one
 * round trip either way (without it, the next command's channel is opened while one runs); the shell spares the server
 * a new session and shell process per command, and a new shell's first command travels in its exec request, so that it
 * costs no more than on a channel of its own. A command runs as it would on its own channel (the login shell's
 * {@code -c}, from the login directory, stdin empty, nothing it sets or changes outliving it); its output, exit status,
 * timeout and interruption behave the same. One shell runs one command at a time, and every shell holds a channel slot
 * ({@code max_sessions}), given back when another command or a transfer needs it. Commands with stdin, a pty or a
 * prompt (sudo) still get their own channel. Differences: a command killed by a signal reports 128 + its number without
 * naming the signal; background processes that keep the output open do not hold the command up, and what they print
 * later is lost or shows up with a later command; SIGINT and SIGQUIT start out ignored in the command (a shell's
 * background job).
 *
 * <p>The last three components are not variables: they locate the user's own SSH files and agent, so that tests
 * can point them away from the real {@code ~/.ssh}.
 *
 * @param knownHostsFiles       {@code ssh_known_hosts}
 * @param hostKeyChecking       {@code host_key_checking}
 * @param identityFiles         {@code ssh_identity}; empty means the default files in {@code userSshDir}
 * @param password              {@code ssh_password}, or {@code null}
 * @param user                  {@code ssh_user}, or {@code null}
 * @param configFile            {@code ssh_config}, or {@code null} for none
 * @param gateway               {@code gateway}, or {@code null}
 * @param maxSessions           {@code max_sessions}
 * @param maxConnectionsPerHost {@code max_connections_per_host}
 * @param connectTimeout        {@code connect_timeout}
 * @param commandTimeout        {@code command_timeout}, or {@code null} for no limit
 * @param keepaliveInterval     {@code keepalive_interval}; zero disables keepalives
 * @param keepaliveCountMax     {@code keepalive_count_max}
 * @param persistentShell       {@code ssh_persistent_shell}
 * @param keepConnections       {@code ssh_keep_connections}, or {@code null} for connections that end with the run
 * @param userKnownHosts        the user's known_hosts file, always checked ({@code ~/.ssh/known_hosts})
 * @param userSshDir            where the default identities live ({@code ~/.ssh})
 * @param agentSocket           the ssh-agent socket ({@code $SSH_AUTH_SOCK}), or {@code null} for no agent
 * @param globalKnownHosts      the machine's known_hosts file, checked last and never written, as OpenSSH's
 *                              GlobalKnownHostsFile ({@code /etc/ssh/ssh_known_hosts}), or {@code null} for none
 */
public record SshSettings(
        List<Path> knownHostsFiles,
        HostKeyChecking hostKeyChecking,
        List<Path> identityFiles,
        String password,
        String user,
        Path configFile,
        Server gateway,
        int maxSessions,
        int maxConnectionsPerHost,
        Duration connectTimeout,
        Duration commandTimeout,
        Duration keepaliveInterval,
        int keepaliveCountMax,
        boolean persistentShell,
        Duration keepConnections,
        Path userKnownHosts,
        Path userSshDir,
        Path agentSocket,
        Path globalKnownHosts) {

    /** The key files OpenSSH's client tries when none is named, in its order. */
    private static final List<String> DEFAULT_IDENTITIES = List.of("id_ed25519", "id_ecdsa", "id_rsa");

    /** Where OpenSSH's client reads the machine's host keys (its GlobalKnownHostsFile). */
    public static final Path GLOBAL_KNOWN_HOSTS = Path.of("/etc/ssh/ssh_known_hosts");

    /** The variables {@link #from} reads, for telling a misspelled {@code -s} name apart without reading them. */
    public static final List<String> VARIABLES = List.of("ssh_known_hosts", "host_key_checking", "ssh_identity",
            "ssh_password", "ssh_user", "ssh_config", "gateway", "max_sessions", "max_connections_per_host",
            "connect_timeout", "command_timeout", "keepalive_interval", "keepalive_count_max", "ssh_persistent_shell",
            "ssh_keep_connections");

    public SshSettings {
        knownHostsFiles = List.copyOf(knownHostsFiles);
        identityFiles = List.copyOf(identityFiles);
        Objects.requireNonNull(hostKeyChecking, "hostKeyChecking");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(keepaliveInterval, "keepaliveInterval");
        Objects.requireNonNull(userKnownHosts, "userKnownHosts");
        Objects.requireNonNull(userSshDir, "userSshDir");
    }

    /** Settings with every variable unset. */
    public static SshSettings defaults() {
        return from(name -> null);
    }

    /**
     * Reads the settings from capstan variables; {@code variable} returns {@code null} for an unset variable.
     * Numbers may be given as numbers or strings; durations are seconds (fractions allowed).
     *
     * @throws IllegalArgumentException with one line naming the variable and what is wrong with its value
     */
    public static SshSettings from(Function<String, Object> variable) {
        Variables v = new Variables(variable);
        Path sshDir = home().resolve(".ssh");
        String agent = System.getenv("SSH_AUTH_SOCK");
        return new SshSettings(
                v.paths("ssh_known_hosts"),
                v.hostKeyChecking("host_key_checking"),
                v.paths("ssh_identity"),
                v.string("ssh_password"),
                v.string("ssh_user"),
                v.configFile("ssh_config", sshDir.resolve("config")),
                v.server("gateway"),
                v.integer("max_sessions", 10, 1),
                v.integer("max_connections_per_host", 2, 1),
                v.seconds("connect_timeout", Duration.ofSeconds(10), false),
                v.seconds("command_timeout", null, false),
                v.seconds("keepalive_interval", Duration.ofSeconds(15), true),
                v.integer("keepalive_count_max", 3, 1),
                v.bool("ssh_persistent_shell", false),
                v.seconds("ssh_keep_connections", null, false),
                sshDir.resolve("known_hosts"),
                sshDir,
                agent == null || agent.isBlank() ? null : Path.of(agent),
                GLOBAL_KNOWN_HOSTS);
    }

    /** These settings with the user's known_hosts file elsewhere (tests keep away from the real one). */
    public SshSettings withUserKnownHosts(Path file) {
        return new SshSettings(knownHostsFiles, hostKeyChecking, identityFiles, password, user, configFile, gateway,
                maxSessions, maxConnectionsPerHost, connectTimeout, commandTimeout, keepaliveInterval,
                keepaliveCountMax, persistentShell, keepConnections, file, userSshDir, agentSocket, globalKnownHosts);
    }

    /** These settings with the default identities looked up in {@code dir} instead of {@code ~/.ssh}. */
    public SshSettings withUserSshDir(Path dir) {
        return new SshSettings(knownHostsFiles, hostKeyChecking, identityFiles, password, user, configFile, gateway,
                maxSessions, maxConnectionsPerHost, connectTimeout, commandTimeout, keepaliveInterval,
                keepaliveCountMax, persistentShell, keepConnections, userKnownHosts, dir, agentSocket, globalKnownHosts);
    }

    /** These settings with another ssh-agent socket, or none ({@code null}). */
    public SshSettings withAgentSocket(Path socket) {
        return new SshSettings(knownHostsFiles, hostKeyChecking, identityFiles, password, user, configFile, gateway,
                maxSessions, maxConnectionsPerHost, connectTimeout, commandTimeout, keepaliveInterval,
                keepaliveCountMax, persistentShell, keepConnections, userKnownHosts, userSshDir, socket, globalKnownHosts);
    }

    /** These settings with another machine-wide known_hosts file, or none ({@code null}). */
    public SshSettings withGlobalKnownHosts(Path file) {
        return new SshSettings(knownHostsFiles, hostKeyChecking, identityFiles, password, user, configFile, gateway,
                maxSessions, maxConnectionsPerHost, connectTimeout, commandTimeout, keepaliveInterval,
                keepaliveCountMax, persistentShell, keepConnections, userKnownHosts, userSshDir, agentSocket, file);
    }

    /**
     * The ssh config as capstan reads it now, its {@code Include}s inlined: "" without one, or when it cannot be read
     * (a run then says why when it connects). For telling an edited config apart, as kept connections do.
     */
    public String configText() {
        if (configFile == null) {
            return "";
        }
        try {
            return SshConfigFile.inlined(configFile, userSshDir);
        } catch (java.io.IOException | RuntimeException e) {
            return "";
        }
    }

    /** The key files of {@code ssh_identity}, or OpenSSH's default {@code id_*} files in {@code userSshDir} without one. */
    public List<Path> identityFilesOrDefaults() {
        return identityFiles.isEmpty()
                ? DEFAULT_IDENTITIES.stream().map(userSshDir::resolve).toList()
                : identityFiles;
    }

    /** The file {@code accept-new} records keys in: the first {@code ssh_known_hosts} file, else the user's. */
    public Path knownHostsToUpdate() {
        return knownHostsFiles.isEmpty() ? userKnownHosts : knownHostsFiles.get(0);
    }

    /** Every known_hosts file consulted: the user's first, then {@code ssh_known_hosts}, then the machine's. */
    public List<Path> allKnownHostsFiles() {
        List<Path> all = new ArrayList<>();
        all.add(userKnownHosts);
        knownHostsFiles.stream().filter(f -> !f.equals(userKnownHosts)).forEach(all::add);
        if (globalKnownHosts != null && !all.contains(globalKnownHosts)) {
            all.add(globalKnownHosts);
        }
        return all;
    }

    /** Never shows the password. */
    @Override
    public String toString() {
        return "SshSettings[knownHostsFiles=" + knownHostsFiles + ", hostKeyChecking=" + hostKeyChecking
                + ", identityFiles=" + identityFiles + ", password=" + (password == null ? "unset" : "***")
                + ", user=" + user + ", configFile=" + configFile + ", gateway=" + gateway
                + ", maxSessions=" + maxSessions + ", maxConnectionsPerHost=" + maxConnectionsPerHost
                + ", connectTimeout=" + connectTimeout + ", commandTimeout=" + commandTimeout
                + ", keepaliveInterval=" + keepaliveInterval + ", keepaliveCountMax=" + keepaliveCountMax
                + ", persistentShell=" + persistentShell + ", keepConnections=" + keepConnections
                + ", userKnownHosts=" + userKnownHosts + ", userSshDir=" + userSshDir
                + ", agentSocket=" + agentSocket + ", globalKnownHosts=" + globalKnownHosts + "]";
    }

    static Path home() {
        return Path.of(System.getProperty("user.home"));
    }

    /** {@code file} as people write it in messages: {@code ~/.ssh/known_hosts} rather than the full home path. */
    static String displayPath(Path file) {
        Path home = home();
        Path absolute = file.toAbsolutePath();
        return absolute.startsWith(home) && !absolute.equals(home)
                ? "~/" + home.relativize(absolute)
                : file.toString();
    }

    /** Reads and coerces single variables, naming the variable in every error. */
    private record Variables(Function<String, Object> source) {

        String string(String name) {
            Object value = source.apply(name);
            // a password may come as a char[], what Console.readPassword returns
            return value == null ? null : value instanceof char[] chars ? new String(chars) : value.toString();
        }

        int integer(String name, int fallback, int min) {
            Object value = source.apply(name);
            if (value == null) {
                return fallback;
            }
            long n;
            try {
                n = value instanceof Number number && !(value instanceof Double || value instanceof Float)
                        ? number.longValue()
                        : new BigDecimal(value.toString().trim()).longValueExact();
            } catch (ArithmeticException | NumberFormatException e) {
                throw new IllegalArgumentException(name + " must be a whole number, got '" + value + "'");
            }
            if (n < min || n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(name + " must be at least " + min + ", got " + value);
            }
            return (int) n;
        }

        boolean bool(String name, boolean fallback) {
            Object value = source.apply(name);
            if (value == null) {
                return fallback;
            }
            if (value instanceof Boolean b) {
                return b;
            }
            return switch (value.toString().trim().toLowerCase(java.util.Locale.ROOT)) {
                case "true", "yes", "on" -> true;
                case "false", "no", "off" -> false;
                default -> throw new IllegalArgumentException(name + " must be true or false, got '" + value + "'");
            };
        }

        Duration seconds(String name, Duration fallback, boolean zeroAllowed) {
            Object value = source.apply(name);
            if (value == null) {
                return fallback;
            }
            if (value instanceof Duration d) {
                return checkDuration(name, d, zeroAllowed, value);
            }
            BigDecimal seconds;
            try {
                seconds = new BigDecimal(value.toString().trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " must be a number of seconds, got '" + value + "'");
            }
            Duration d = Duration.ofMillis(seconds.movePointRight(3).longValue());
            return checkDuration(name, d, zeroAllowed, value);
        }

        private static Duration checkDuration(String name, Duration d, boolean zeroAllowed, Object value) {
            if (d.isNegative() || (!zeroAllowed && d.isZero())) {
                String allowed = zeroAllowed ? "zero or more" : "more than zero";
                throw new IllegalArgumentException(name + " must be " + allowed + " seconds, got " + value);
            }
            return d;
        }

        List<Path> paths(String name) {
            Object value = source.apply(name);
            if (value == null) {
                return List.of();
            }
            Collection<?> items = value instanceof Collection<?> c ? c : List.of(value);
            List<Path> paths = new ArrayList<>();
            for (Object item : items) {
                if (item == null || item.toString().isBlank()) {
                    throw new IllegalArgumentException(name + " must name files, got an empty entry in " + value);
                }
                paths.add(expandHome(item.toString().trim()));
            }
            return paths;
        }

        Path configFile(String name, Path fallback) {
            Object value = source.apply(name);
            if (value == null) {
                return fallback;
            }
            String text = value.toString().trim();
            if (text.isEmpty()) {
                throw new IllegalArgumentException(name + " must be a file or 'none', got an empty value");
            }
            return text.equalsIgnoreCase("none") ? null : expandHome(text);
        }

        HostKeyChecking hostKeyChecking(String name) {
            Object value = source.apply(name);
            return value == null ? HostKeyChecking.STRICT : HostKeyChecking.parse(value);
        }

        Server server(String name) {
            String spec = string(name);
            if (spec == null) {
                return null;
            }
            try {
                return Server.parse(spec);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
            }
        }

        private static Path expandHome(String path) {
            if (path.equals("~")) {
                return home();
            }
            return path.startsWith("~/") ? home().resolve(path.substring(2)) : Path.of(path);
        }
    }
}
