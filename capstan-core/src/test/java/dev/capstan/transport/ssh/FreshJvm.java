package dev.capstan.transport.ssh;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.testkit.SshTestFleet;
import dev.capstan.testkit.openssh.OpenSshHosts;
import dev.capstan.transport.Command;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.TransportException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Security;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.sshd.common.util.security.SecurityUtils;

/**
 * What an SSH transport does in a JVM where nothing has used MINA before, as in a capstan run; tests in the shared test
 * JVM cannot show it, because whatever touches MINA first there decides its crypto providers for all of them.
 * {@link #run} starts this class's {@code main} in a new JVM and returns what it printed.
 */
final class FreshJvm {

    private FreshJvm() {
    }

    private static int closedPort() throws java.io.IOException {
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    /** Runs {@code main} in a new JVM on this JVM's class path; its output, or an AssertionError on failure. */
    static List<String> run(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), FreshJvm.class.getName()));
        command.addAll(List.of(args));
        Path output = Files.createTempFile("capstan-fresh-jvm", ".txt");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
                    .start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the fresh JVM did not finish within 60 s: " + Files.readString(output));
            }
            List<String> lines = Files.readAllLines(output);
            if (process.exitValue() != 0) {
                throw new AssertionError("the fresh JVM failed (exit " + process.exitValue() + "): "
                        + String.join("\n", lines));
            }
            return lines;
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /**
     * Sets an SSH transport up before anything else touches MINA, then runs a command on an embedded test host and,
     * when they are running, on the first OpenSSH end-to-end host; prints {@code key=value} lines about what it saw.
     */
    public static void main(String[] args) throws Exception {
        Path home = Files.createTempDirectory("capstan-fresh-jvm-home");
        try {
            report(home);
        } finally {
            try (Stream<Path> tree = Files.walk(home)) {
                for (Path path : tree.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    private static void report(Path home) throws Exception {
        Fixtures.Events events = new Fixtures.Events();
        // The transport first, as in a run. Its first connection (here to a port where nothing listens) starts its
        // set-up, which runs on its own threads, is over once the transport is closed, and decides MINA's providers;
        // the embedded host started after it then shares that choice.
        try (SshTransport first = new SshTransport(SshSettings.defaults().withUserKnownHosts(home.resolve("kh"))
                .withUserSshDir(home).withAgentSocket(null), events, PassphrasePrompt.NONE)) {
            first.execute(Server.parse("capstan@127.0.0.1:" + closedPort()), Command.of("true"), OutputListener.IGNORE);
            throw new AssertionError("connected to a closed port");
        } catch (TransportException refused) {
            // as intended
        }
        try (SshTestFleet fleet = SshTestFleet.start(1);
                SshTransport ssh = new SshTransport(Fixtures.forFleet(fleet, home).settings(), events,
                        PassphrasePrompt.NONE)) {
            String out = ssh.execute(Fixtures.server(fleet.host(0)), Command.of("echo embedded").capturing(),
                    OutputListener.IGNORE).stdout().trim();
            System.out.println("embedded=" + out);
        }
        Optional<OpenSshHosts> openSsh = OpenSshHosts.discover();
        if (openSsh.isPresent()) {
            OpenSshHosts hosts = openSsh.get();
            Map<String, Object> variables = new HashMap<>();
            variables.put("ssh_known_hosts", hosts.knownHostsFile().toString());
            variables.put("ssh_identity", hosts.identityFile().toString());
            variables.put("ssh_config", "none");
            SshSettings settings = SshSettings.from(variables::get).withUserKnownHosts(home.resolve("known_hosts"))
                    .withUserSshDir(home).withAgentSocket(null);
            try (SshTransport ssh = new SshTransport(settings, events, PassphrasePrompt.NONE)) {
                String out = ssh.execute(Server.parse(hosts.hostSpecs().get(0)), Command.of("echo openssh").capturing(),
                        OutputListener.IGNORE).stdout().trim();
                System.out.println("openssh=" + out);
            }
        }
        events.logs(Event.Level.DEBUG).stream().filter(m -> m.startsWith("connected to "))
                .forEach(m -> System.out.println("connected=" + m.replaceFirst(" in \\d+ ms", "")));
        System.out.println("bouncy-castle-provider=" + (Security.getProvider("BC") != null));
        System.out.println("eddsa=" + SecurityUtils.getEdDSASupport().map(s -> s.getClass().getSimpleName())
                .orElse("none"));
        System.out.println("x25519=" + SecurityUtils.getKeyAgreement("X25519").getProvider().getName());
        System.out.println("ed25519-signature=" + SecurityUtils.getSignature("Ed25519").getProvider().getName());
        System.out.println("warnings=" + events.logs(Event.Level.WARN));
    }
}
