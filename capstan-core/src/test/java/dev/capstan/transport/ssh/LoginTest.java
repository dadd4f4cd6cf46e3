package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import dev.capstan.testkit.ClientKey;
import dev.capstan.testkit.SshTestFleet;
import dev.capstan.testkit.SshTestHost;
import dev.capstan.transport.Command;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.TransportException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyEncryptionContext;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How capstan logs in: default key files, encrypted keys with a passphrase asked once, ssh-agent, password. */
class LoginTest {

    private static SshTestFleet fleet;

    @TempDir
    Path home;

    @BeforeAll
    static void start() throws Exception {
        fleet = SshTestFleet.start(2);
    }

    @AfterAll
    static void stop() {
        fleet.close();
    }

    @Test
    void usesTheDefaultKeyOfTheUsersSshDirectory() throws Exception {
        Files.copy(fleet.identityFile(), home.resolve("id_ed25519"));
        SshSettings settings = Fixtures.forFleet(fleet, home).unset("ssh_identity").settings();

        try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, PassphrasePrompt.NONE)) {
            assertThat(ssh.execute(Fixtures.server(fleet.host(0)), Command.of("true"), OutputListener.IGNORE)
                    .succeeded()).isTrue();
        }
    }

    @Test
    void offersTheKeySignedInItsFirstRequestSoTheServerChecksItOnce() throws Exception {
        SshTestHost host = fleet.host(1);
        runOneCommandOn(host);

        // MINA (like OpenSSH's ssh) would first ask whether the key would do, then sign: two checks, a round trip
        // more, and a "none" probe before both.
        assertThat(host.connectionsAccepted()).isEqualTo(1);
        assertThat(host.publicKeyChecks()).isEqualTo(1);
    }

    @Test
    void acknowledgesTheServersAcceptanceOfTheLoginServiceAtOnce() throws Exception {
        SshTestHost host = fleet.host(1);
        runOneCommandOn(host);

        // One SSH_MSG_IGNORE per login, sent when the service is accepted: it carries the TCP acknowledgement that
        // sshd (Nagle's algorithm, no TCP_NODELAY) waits for before it sends the login's success.
        assertThat(host.connectionsAccepted()).isEqualTo(1);
        assertThat(host.ignoreMessagesReceived()).isEqualTo(1);
    }

    /** Counts afresh, then runs {@code true} on {@code host} over a new connection with the fleet's key. */
    private void runOneCommandOn(SshTestHost host) throws Exception {
        host.resetCounters();
        SshSettings settings = Fixtures.forFleet(fleet, home).settings();
        try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, PassphrasePrompt.NONE)) {
            assertThat(ssh.execute(Fixtures.server(host), Command.of("true"), OutputListener.IGNORE).succeeded())
                    .isTrue();
        }
    }

    @Test
    void aFirstKeyTheServerRefusesStillLeavesTheOthersToTry() throws Exception {
        ClientKey stranger = ClientKey.generate(home.resolve("stranger"));
        SshTestHost host = fleet.host(1);
        host.resetCounters();
        SshSettings settings = Fixtures.forFleet(fleet, home)
                .set("ssh_identity", List.of(stranger.privateKeyFile().toString(), fleet.identityFile().toString()))
                .settings();

        try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, PassphrasePrompt.NONE)) {
            assertThat(ssh.execute(Fixtures.server(host), Command.of("true"), OutputListener.IGNORE).succeeded())
                    .isTrue();
        }
        assertThat(host.connectionsAccepted()).isEqualTo(1);
    }

    @Test
    void asksForThePassphraseOfAnEncryptedKeyOncePerRun() throws Exception {
        Path key = encryptedCopy(ClientKey.shared(), "open sesame");
        List<String> prompts = new CopyOnWriteArrayList<>();
        SshSettings settings = Fixtures.forFleet(fleet, home).set("ssh_identity", key.toString()).settings();

        try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, prompt -> {
            prompts.add(prompt);
            return "open sesame".toCharArray();
        })) {
            Concurrently.run(6, i -> ssh.execute(Fixtures.server(fleet.host(i % 2)), Command.of("true"),
                    OutputListener.IGNORE));
        }

        assertThat(prompts).containsExactly("Enter passphrase for key '" + key + "': ");
    }

    @Test
    void aWrongPassphraseIsAskedAgainThenTheKeyIsSkipped() throws Exception {
        Path key = encryptedCopy(ClientKey.shared(), "right");
        List<String> prompts = new CopyOnWriteArrayList<>();
        Fixtures.Events events = new Fixtures.Events();
        SshSettings settings = Fixtures.forFleet(fleet, home).set("ssh_identity", key.toString()).settings();

        try (SshTransport ssh = new SshTransport(settings, events, prompt -> {
            prompts.add(prompt);
            return "wrong".toCharArray();
        })) {
            TransportException e = catchThrowableOfType(TransportException.class,
                    () -> ssh.execute(Fixtures.server(fleet.host(0)), Command.of("true"), OutputListener.IGNORE));

            assertThat(e.reason()).isEqualTo(TransportException.Reason.AUTH);
            assertThat(e.getMessage()).endsWith("the server accepted none of publickey (" + key
                    + " skipped: wrong passphrase or unreadable key)");
        }
        assertThat(prompts).hasSize(3);
        assertThat(events.logs(Event.Level.WARN)).anyMatch(m -> m.startsWith("skipping identity " + key));
    }

    @Test
    void logsInWithAKeyHeldBySshAgent() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/ssh-agent")) && Files.isExecutable(Path.of("/usr/bin/ssh-add")),
                "OpenSSH's ssh-agent and ssh-add are not installed");
        Path socket = home.resolve("agent.sock");
        Process agent = new ProcessBuilder("/usr/bin/ssh-agent", "-D", "-a", socket.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            for (int i = 0; i < 250 && !Files.exists(socket); i++) {
                Thread.sleep(20);
            }
            ProcessBuilder add = new ProcessBuilder("/usr/bin/ssh-add", fleet.identityFile().toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            add.environment().putAll(Map.of("SSH_AUTH_SOCK", socket.toString()));
            assertThat(add.start().waitFor(10, TimeUnit.SECONDS)).isTrue();

            AgentConnector connector = new AgentConnector(socket, new EventLog(EventSink.NONE));
            assertThat(connector.keys()).singleElement()
                    .satisfies(k -> assertThat(KeyUtils.compareKeys(k, ClientKey.shared().publicKey())).isTrue());

            // No key files at all: only the agent can log in.
            SshSettings settings = Fixtures.forFleet(fleet, home).unset("ssh_identity").settings()
                    .withAgentSocket(socket);
            try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, PassphrasePrompt.NONE)) {
                assertThat(ssh.execute(Fixtures.server(fleet.host(0)), Command.of("true"), OutputListener.IGNORE)
                        .succeeded()).isTrue();
            }
        } finally {
            agent.destroy();
        }
    }

    @Test
    void anEncryptedKeyWithoutATerminalToAskIsNamedInTheFailure() throws Exception {
        Path key = encryptedCopy(ClientKey.shared(), "right");
        SshSettings settings = Fixtures.forFleet(fleet, home).set("ssh_identity", key.toString()).settings();

        try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, PassphrasePrompt.NONE)) {
            TransportException e = catchThrowableOfType(TransportException.class,
                    () -> ssh.execute(Fixtures.server(fleet.host(0)), Command.of("true"), OutputListener.IGNORE));

            assertThat(e.reason()).isEqualTo(TransportException.Reason.AUTH);
            assertThat(e.getMessage()).endsWith("the server accepted none of publickey (" + key
                    + " skipped: encrypted, and no passphrase was given (none can be asked without a terminal))");
        }
    }

    @Test
    void aMissingAgentSocketIsSkipped() throws Exception {
        Fixtures.Events events = new Fixtures.Events();
        // The first key is refused, so that the login goes on to ask the agent before the other key.
        ClientKey stranger = ClientKey.generate(home.resolve("stranger"));
        SshSettings settings = Fixtures.forFleet(fleet, home)
                .set("ssh_identity", List.of(stranger.privateKeyFile().toString(), fleet.identityFile().toString()))
                .settings().withAgentSocket(home.resolve("gone.sock"));

        try (SshTransport ssh = new SshTransport(settings, events, PassphrasePrompt.NONE)) {
            assertThat(ssh.execute(Fixtures.server(fleet.host(0)), Command.of("true"), OutputListener.IGNORE)
                    .succeeded()).isTrue();
        }
        assertThat(events.logs(Event.Level.DEBUG)).anyMatch(m -> m.startsWith("no ssh-agent: cannot connect to"));
    }

    @Test
    void aFailedLoginSaysTheAgentItWasToAskDidNotAnswer() throws Exception {
        ClientKey stranger = ClientKey.generate(home.resolve("stranger"));
        SshSettings settings = Fixtures.forFleet(fleet, home)
                .set("ssh_identity", List.of(stranger.privateKeyFile().toString()))
                .settings().withAgentSocket(home.resolve("gone.sock"));

        TransportException e = Fixtures.connectFailure(settings, fleet.host(0));

        assertThat(e.getMessage()).contains("the server accepted none of publickey (ssh-agent (none answered at "
                + home.resolve("gone.sock") + "), ");
    }

    @Test
    void aRefusedLoginNamesThePasswordTheServerWouldTakeWhenNoneIsSet() throws Exception {
        ClientKey other = ClientKey.generate(home.resolve("other"));
        SshTestHost.Options options = SshTestHost.Options.defaults().withPassword("hunter2").withAuthorizedKey(other);
        TransportException e = refusedWithAKeyItDoesNotTake(options);

        assertThat(e.reason()).isEqualTo(TransportException.Reason.AUTH);
        assertThat(e.getMessage()).endsWith("the server accepted none of publickey (" + fleet.identityFile()
                + "); it also takes password (set the secret ssh_password to log in with a password)");
    }

    @Test
    void aRefusedLoginAtAServerThatTakesOnlyAPasswordSaysSo() throws Exception {
        TransportException e = refusedWithAKeyItDoesNotTake(SshTestHost.Options.defaults().withPasswordOnly("hunter2"));

        assertThat(e.reason()).isEqualTo(TransportException.Reason.AUTH);
        assertThat(e.getMessage()).endsWith("; it only takes password (set the secret ssh_password to log in"
                + " with a password)");
    }

    /** The failure of a login, without ssh_password, with the shared fleet's key at a host that does not take it. */
    private TransportException refusedWithAKeyItDoesNotTake(SshTestHost.Options options) throws Exception {
        try (SshTestFleet guarded = SshTestFleet.start(1, options)) {
            return Fixtures.connectFailure(Fixtures.forFleet(guarded, home)
                    .set("ssh_identity", fleet.identityFile().toString()).settings(), guarded.host(0));
        }
    }

    @Test
    void logsInWithThePasswordWhenOneIsSet() throws Exception {
        ClientKey other = ClientKey.generate(home.resolve("other"));
        SshTestHost.Options options = SshTestHost.Options.defaults().withPassword("hunter2").withAuthorizedKey(other);
        try (SshTestFleet guarded = SshTestFleet.start(1, options)) {
            SshSettings withPassword = Fixtures.forFleet(guarded, home)
                    .set("ssh_identity", fleet.identityFile().toString()) // a key this host does not accept
                    .set("ssh_password", "hunter2").settings();
            try (SshTransport ssh = new SshTransport(withPassword, EventSink.NONE, PassphrasePrompt.NONE)) {
                assertThat(ssh.execute(Fixtures.server(guarded.host(0)), Command.of("true"), OutputListener.IGNORE)
                        .succeeded()).isTrue();
            }

            SshSettings wrongPassword = Fixtures.forFleet(guarded, home)
                    .set("ssh_identity", fleet.identityFile().toString())
                    .set("ssh_password", "wrong").settings();
            try (SshTransport ssh = new SshTransport(wrongPassword, EventSink.NONE, PassphrasePrompt.NONE)) {
                TransportException e = catchThrowableOfType(TransportException.class, () -> ssh.execute(
                        Fixtures.server(guarded.host(0)), Command.of("true"), OutputListener.IGNORE));

                assertThat(e.reason()).isEqualTo(TransportException.Reason.AUTH);
                assertThat(e.getMessage()).endsWith("the server accepted none of publickey ("
                        + fleet.identityFile() + "), password (ssh_password)");
            }
        }
    }

    @Test
    void anEncryptedDefaultKeyIsAskedForWhenTheAgentsKeysDoNotDo() throws Exception {
        assumeAgent();
        ClientKey stranger = ClientKey.generate(home.resolve("stranger"));
        Files.move(encryptedCopy(ClientKey.shared(), "open sesame"), home.resolve("id_ed25519"));
        List<String> prompts = new CopyOnWriteArrayList<>();
        Process agent = startAgent(stranger.privateKeyFile()); // holds a key no host accepts
        try {
            SshSettings settings = Fixtures.forFleet(fleet, home).unset("ssh_identity").settings()
                    .withAgentSocket(home.resolve("agent.sock"));
            try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, prompt -> {
                prompts.add(prompt);
                return "open sesame".toCharArray();
            })) {
                Concurrently.run(4, i -> ssh.execute(Fixtures.server(fleet.host(i % 2)), Command.of("true"),
                        OutputListener.IGNORE));
            }
        } finally {
            agent.destroy();
        }

        assertThat(prompts).containsExactly("Enter passphrase for key '" + home.resolve("id_ed25519") + "': ");
    }

    @Test
    void anEncryptedDefaultKeyIsNotAskedForWhenTheAgentsKeysDo() throws Exception {
        assumeAgent();
        Files.move(encryptedCopy(ClientKey.shared(), "open sesame"), home.resolve("id_ed25519"));
        List<String> prompts = new CopyOnWriteArrayList<>();
        Process agent = startAgent(fleet.identityFile());
        try {
            SshSettings settings = Fixtures.forFleet(fleet, home).unset("ssh_identity").settings()
                    .withAgentSocket(home.resolve("agent.sock"));
            try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, prompt -> {
                prompts.add(prompt);
                return "open sesame".toCharArray();
            })) {
                assertThat(ssh.execute(Fixtures.server(fleet.host(0)), Command.of("true"), OutputListener.IGNORE)
                        .succeeded()).isTrue();
            }
        } finally {
            agent.destroy();
        }

        assertThat(prompts).isEmpty();
    }

    @Test
    void anEncryptedDefaultKeySkippedBesideTheAgentIsNamedInTheFailure() throws Exception {
        assumeAgent();
        ClientKey stranger = ClientKey.generate(home.resolve("stranger"));
        Files.move(encryptedCopy(ClientKey.shared(), "open sesame"), home.resolve("id_ed25519"));
        Process agent = startAgent(stranger.privateKeyFile());
        try {
            SshSettings settings = Fixtures.forFleet(fleet, home).unset("ssh_identity").settings()
                    .withAgentSocket(home.resolve("agent.sock"));
            try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, PassphrasePrompt.NONE)) {
                TransportException e = catchThrowableOfType(TransportException.class,
                        () -> ssh.execute(Fixtures.server(fleet.host(0)), Command.of("true"), OutputListener.IGNORE));

                assertThat(e.reason()).isEqualTo(TransportException.Reason.AUTH);
                assertThat(e.getMessage()).endsWith("the server accepted none of publickey (ssh-agent, "
                        + home.resolve("id_ed25519") + " skipped: encrypted, and no passphrase was given (none can be"
                        + " asked without a terminal))");
            }
        } finally {
            agent.destroy();
        }
    }

    @Test
    void theDefaultKeysAreNotOfferedWhenSshConfigNamesAnIdentityFile() throws Exception {
        ClientKey stranger = ClientKey.generate(home.resolve("stranger"));
        Files.copy(fleet.identityFile(), home.resolve("id_ed25519")); // would do, but is not the configured key
        SshTestHost host = fleet.host(0);
        Path config = Files.writeString(home.resolve("config"), """
                Host web
                  HostName 127.0.0.1
                  Port %d
                  IdentityFile %s
                """.formatted(host.port(), stranger.privateKeyFile()));
        SshSettings settings = Fixtures.forFleet(fleet, home).unset("ssh_identity")
                .set("ssh_config", config.toString()).settings();

        try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, PassphrasePrompt.NONE)) {
            TransportException e = catchThrowableOfType(TransportException.class,
                    () -> ssh.execute(Server.parse("web"), Command.of("true"), OutputListener.IGNORE));

            assertThat(e.reason()).isEqualTo(TransportException.Reason.AUTH);
            assertThat(e.getMessage()).endsWith("the server accepted none of publickey ("
                    + stranger.privateKeyFile() + ")");
        }

        // without an IdentityFile for the host, the default keys are offered
        Files.writeString(config, "Host web\n  HostName 127.0.0.1\n  Port %d\n".formatted(host.port()));
        try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, PassphrasePrompt.NONE)) {
            assertThat(ssh.execute(Server.parse("web"), Command.of("true"), OutputListener.IGNORE).succeeded())
                    .isTrue();
        }
    }

    private static void assumeAgent() {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/ssh-agent")) && Files.isExecutable(Path.of("/usr/bin/ssh-add")),
                "OpenSSH's ssh-agent and ssh-add are not installed");
    }

    /** An ssh-agent on {@code home/agent.sock} holding the key of {@code keyFile}. */
    private Process startAgent(Path keyFile) throws Exception {
        Path socket = home.resolve("agent.sock");
        Process agent = new ProcessBuilder("/usr/bin/ssh-agent", "-D", "-a", socket.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        for (int i = 0; i < 250 && !Files.exists(socket); i++) {
            Thread.sleep(20);
        }
        ProcessBuilder add = new ProcessBuilder("/usr/bin/ssh-add", keyFile.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        add.environment().put("SSH_AUTH_SOCK", socket.toString());
        assertThat(add.start().waitFor(10, TimeUnit.SECONDS)).isTrue();
        return agent;
    }

    private Path encryptedCopy(ClientKey key, String passphrase) throws Exception {
        OpenSSHKeyEncryptionContext encryption = new OpenSSHKeyEncryptionContext();
        encryption.setPassword(passphrase);
        encryption.setCipherType("256");
        Path file = home.resolve("id_encrypted");
        try (OutputStream out = Files.newOutputStream(file)) {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(key.keyPair(), "test", encryption, out);
        }
        return file;
    }
}
