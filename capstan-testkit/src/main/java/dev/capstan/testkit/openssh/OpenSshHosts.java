package dev.capstan.testkit.openssh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The real OpenSSH servers of capstan's end-to-end suite, as started by {@code .ci/e2e-sshd start}.
 *
 * <p>That script runs three {@code sshd} instances on 127.0.0.2, 127.0.0.3 and 127.0.0.4 (port 2222
 * unless {@code CAPSTAN_E2E_PORT} says otherwise) that accept only the user {@code capstan-e2e} with
 * a generated ed25519 key, and writes everything into one state directory ({@code CAPSTAN_E2E_DIR},
 * default {@value #DEFAULT_STATE_DIR}). Its {@code env} file, written last once every instance has
 * accepted a real {@code ssh} login, is what this class reads:
 *
 * <pre>
 * CAPSTAN_E2E_HOSTS=capstan-e2e@127.0.0.2:2222,capstan-e2e@127.0.0.3:2222,capstan-e2e@127.0.0.4:2222
 * CAPSTAN_E2E_USER=capstan-e2e
 * CAPSTAN_E2E_KNOWN_HOSTS=/tmp/capstan-e2e/known_hosts
 * CAPSTAN_E2E_IDENTITY=/tmp/capstan-e2e/id_ed25519
 * CAPSTAN_E2E_DIR=/tmp/capstan-e2e
 * </pre>
 *
 * <p>Typical use in an end-to-end test (with whatever assumption mechanism the test framework has):
 *
 * <pre>{@code
 * Optional<OpenSshHosts> hosts = OpenSshHosts.discover();
 * assumeTrue(hosts.isPresent(), OpenSshHosts.unavailableReason());
 * }</pre>
 *
 * <p>The known_hosts file pins each instance's host key as {@code [127.0.0.2]:2222 ssh-ed25519 ...},
 * so tests can (and should) connect with strict host-key checking. The class has no dependencies
 * beyond the JDK; instances are immutable.
 */
public final class OpenSshHosts {

    /** The environment variable naming the state directory; also a key of the env file. */
    public static final String DIR_VARIABLE = "CAPSTAN_E2E_DIR";

    /** The state directory used when {@value #DIR_VARIABLE} is not set. */
    public static final String DEFAULT_STATE_DIR = "/tmp/capstan-e2e";

    /** The name of the env file inside the state directory. */
    public static final String ENV_FILE_NAME = "env";

    private static final String HOSTS_KEY = "CAPSTAN_E2E_HOSTS";
    private static final String USER_KEY = "CAPSTAN_E2E_USER";
    private static final String KNOWN_HOSTS_KEY = "CAPSTAN_E2E_KNOWN_HOSTS";
    private static final String IDENTITY_KEY = "CAPSTAN_E2E_IDENTITY";

    private final List<String> hostSpecs;
    private final String user;
    private final Path knownHostsFile;
    private final Path identityFile;
    private final Path stateDir;

    private OpenSshHosts(
            List<String> hostSpecs, String user, Path knownHostsFile, Path identityFile, Path stateDir) {
        this.hostSpecs = List.copyOf(hostSpecs);
        this.user = user;
        this.knownHostsFile = knownHostsFile;
        this.identityFile = identityFile;
        this.stateDir = stateDir;
    }

    /**
     * Finds the running servers through the env file in the state directory named by the environment
     * variable {@value #DIR_VARIABLE}, else in {@value #DEFAULT_STATE_DIR}.
     *
     * @return the servers, or empty when the env file does not exist (the servers are not running;
     *     skip the end-to-end suite and report {@link #unavailableReason()})
     * @throws IllegalStateException when the env file exists but is unusable: a key is missing, or
     *     the identity or known_hosts file it names cannot be read by this process (for instance
     *     because {@code .ci/e2e-sshd start} ran as root and the tests do not). Such a setup is
     *     broken, not absent, so it fails loudly instead of skipping.
     * @throws UncheckedIOException when the env file exists but cannot be read
     */
    public static Optional<OpenSshHosts> discover() {
        String dir = System.getenv(DIR_VARIABLE);
        return discover(Path.of(dir == null || dir.isBlank() ? DEFAULT_STATE_DIR : dir));
    }

    /**
     * Like {@link #discover()}, with an explicit state directory.
     *
     * @param stateDir the directory holding the env file written by {@code .ci/e2e-sshd start}
     * @return the servers, or empty when {@code stateDir/env} does not exist
     * @throws IllegalStateException when the env file exists but is unusable (see {@link #discover()})
     * @throws UncheckedIOException when the env file exists but cannot be read
     */
    public static Optional<OpenSshHosts> discover(Path stateDir) {
        Objects.requireNonNull(stateDir, "stateDir");
        Path envFile = stateDir.resolve(ENV_FILE_NAME);
        if (!Files.isRegularFile(envFile)) {
            return Optional.empty();
        }
        Map<String, String> env;
        try {
            env = parse(Files.readAllLines(envFile, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + envFile, e);
        }

        List<String> hosts = new ArrayList<>();
        for (String spec : require(env, HOSTS_KEY, envFile).split(",")) {
            if (!spec.isBlank()) {
                hosts.add(spec.strip());
            }
        }
        if (hosts.isEmpty()) {
            throw new IllegalStateException(envFile + ": " + HOSTS_KEY + " lists no hosts");
        }
        String user = require(env, USER_KEY, envFile);
        Path knownHosts = Path.of(require(env, KNOWN_HOSTS_KEY, envFile));
        Path identity = Path.of(require(env, IDENTITY_KEY, envFile));
        String dir = env.get(DIR_VARIABLE);
        Path resolvedDir = dir == null || dir.isEmpty() ? stateDir : Path.of(dir);

        requireReadable(knownHosts, "known_hosts file", envFile);
        requireReadable(identity, "identity (private key)", envFile);
        return Optional.of(new OpenSshHosts(hosts, user, knownHosts, identity, resolvedDir));
    }

    /**
     * The one-line explanation to give when {@link #discover()} is empty, meant to be loud in a test
     * report: {@code real OpenSSH hosts not running: run `.ci/e2e-sshd start` (as root) — end-to-end
     * suite SKIPPED}.
     *
     * @return the explanation
     */
    public static String unavailableReason() {
        return "real OpenSSH hosts not running: run `.ci/e2e-sshd start` (as root) — end-to-end suite SKIPPED";
    }

    /**
     * The servers as {@code user@address:port}, e.g. {@code capstan-e2e@127.0.0.2:2222}, in the order
     * the script started them.
     *
     * @return an unmodifiable, non-empty list
     */
    public List<String> hostSpecs() {
        return hostSpecs;
    }

    /**
     * The login user of every server ({@code capstan-e2e}).
     *
     * @return the user name
     */
    public String user() {
        return user;
    }

    /**
     * The known_hosts file pinning each server's ed25519 host key, with entries such as {@code
     * [127.0.0.2]:2222 ssh-ed25519 AAAA...}.
     *
     * @return the absolute path of the file
     */
    public Path knownHostsFile() {
        return knownHostsFile;
    }

    /**
     * The unencrypted ed25519 private key that every server accepts for {@link #user()} (its public
     * half is next to it, with the suffix {@code .pub}).
     *
     * @return the absolute path of the private key
     */
    public Path identityFile() {
        return identityFile;
    }

    /**
     * The state directory: env file, keys, known_hosts, and per instance its sshd_config, host key,
     * pid file and log ({@code <address>/sshd.log}), useful to attach to a failing test's report.
     *
     * @return the directory
     */
    public Path stateDir() {
        return stateDir;
    }

    @Override
    public String toString() {
        return "OpenSshHosts" + hostSpecs + " (identity " + identityFile + ", known_hosts " + knownHostsFile
                + ", state " + stateDir + ")";
    }

    /** Parses shell-sourceable {@code KEY=VALUE} lines; values may be single- or double-quoted. */
    private static Map<String, String> parse(List<String> lines) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("export ")) {
                line = line.substring("export ".length()).strip();
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (value.length() >= 2) {
                char first = value.charAt(0);
                if ((first == '\'' || first == '"') && value.charAt(value.length() - 1) == first) {
                    value = value.substring(1, value.length() - 1);
                }
            }
            env.put(key, value);
        }
        return env;
    }

    private static String require(Map<String, String> env, String key, Path envFile) {
        String value = env.get(key);
        if (value == null || value.isEmpty()) {
            throw new IllegalStateException(
                    envFile + " has no " + key + "; restart the servers: `.ci/e2e-sshd start` (as root)");
        }
        return value;
    }

    private static void requireReadable(Path file, String what, Path envFile) {
        if (!Files.isReadable(file)) {
            throw new IllegalStateException("the " + what + " " + file + " named by " + envFile
                    + " is missing or unreadable for user " + System.getProperty("user.name")
                    + "; run the tests as the user who ran `.ci/e2e-sshd start` (root, or the sudo user)"
                    + " or restart the servers");
        }
    }
}
