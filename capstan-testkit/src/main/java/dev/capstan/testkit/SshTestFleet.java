package dev.capstan.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Several {@link SshTestHost}s started together, with the two files an SSH client needs to reach all of them: a
 * known_hosts file trusting every host key, and the private key every host authorizes.
 *
 * <pre>{@code
 * try (SshTestFleet fleet = SshTestFleet.start(3)) {
 *     // servers fleet.host(0).spec() ... fleet.host(2).spec(),
 *     // known hosts fleet.knownHostsFile(), identity fleet.identityFile()
 * }
 * }</pre>
 */
public final class SshTestFleet implements AutoCloseable {

    private final List<SshTestHost> hosts;
    private final Path dir;
    private final Path knownHostsFile;
    private final Path identityFile;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SshTestFleet(List<SshTestHost> hosts, Path dir, Path knownHostsFile, Path identityFile) {
        this.hosts = List.copyOf(hosts);
        this.dir = dir;
        this.knownHostsFile = knownHostsFile;
        this.identityFile = identityFile;
    }

    /**
     * Starts {@code count} hosts with default options, named {@code host1} to {@code hostN}.
     *
     * @param count how many hosts, at least 1
     * @return the running fleet
     * @throws IOException if a host cannot start (the others are closed again)
     */
    public static SshTestFleet start(int count) throws IOException {
        return start(count, SshTestHost.Options.defaults());
    }

    /**
     * Starts {@code count} hosts, each set up like {@code template}. They are named {@code host1} to {@code hostN},
     * or {@code <name>1} to {@code <name>N} when the template has a name. A template root is shared out as one
     * subdirectory per host, {@code root/<host name>}.
     *
     * @param count    how many hosts, at least 1
     * @param template options applied to every host
     * @return the running fleet
     * @throws IOException if a host cannot start (the others are closed again)
     */
    public static SshTestFleet start(int count, SshTestHost.Options template) throws IOException {
        Objects.requireNonNull(template, "template");
        if (count < 1) {
            throw new IllegalArgumentException("a fleet needs at least one host: " + count);
        }
        String prefix = template.name() != null ? template.name() : "host";
        List<SshTestHost> hosts = new ArrayList<>(count);
        try {
            for (int i = 1; i <= count; i++) {
                String name = prefix + i;
                SshTestHost.Options options = template.withName(name);
                if (template.root() != null) {
                    options = options.withRoot(template.root().resolve(name));
                }
                hosts.add(SshTestHost.start(options));
            }
            Path dir = Files.createTempDirectory("capstan-testkit-fleet-");
            Path knownHosts = Files.write(dir.resolve("known_hosts"),
                    hosts.stream().map(SshTestHost::knownHostsLine).toList());
            ClientKey key = template.authorizedKey() != null ? template.authorizedKey() : ClientKey.shared();
            return new SshTestFleet(hosts, dir, knownHosts, key.privateKeyFile());
        } catch (IOException | RuntimeException e) {
            hosts.forEach(SshTestHost::close);
            throw e;
        }
    }

    /** @return all hosts, in order {@code host1} to {@code hostN} */
    public List<SshTestHost> hosts() {
        return hosts;
    }

    /**
     * @param index 0-based: {@code host(0)} is {@code host1}
     * @return that host
     */
    public SshTestHost host(int index) {
        return hosts.get(index);
    }

    /** @return a known_hosts file holding {@link SshTestHost#knownHostsLine()} of every host */
    public Path knownHostsFile() {
        return knownHostsFile;
    }

    /** @return the private key file of the client key every host authorizes */
    public Path identityFile() {
        return identityFile;
    }

    /** Closes every host and deletes the known_hosts file. Safe to call more than once. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        hosts.forEach(SshTestHost::close);
        try {
            Files.deleteIfExists(knownHostsFile);
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // A stray temp file is not worth failing a test's teardown over.
        }
    }

    @Override
    public String toString() {
        return "SshTestFleet" + hosts.stream().map(SshTestHost::name).toList();
    }
}
