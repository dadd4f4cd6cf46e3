package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import dev.capstan.testkit.SshTestFleet;
import dev.capstan.testkit.SshTestHost;
import dev.capstan.transport.Command;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.TransportException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import org.apache.sshd.client.config.hosts.KnownHostDigest;
import org.apache.sshd.client.config.hosts.KnownHostHashValue;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.mac.Mac;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Host keys: known ones connect, unknown ones depend on host_key_checking, changed ones never do. */
class HostKeyTest {

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
    void refusesAnUnknownKeyAndSaysHowToTrustIt() throws Exception {
        SshTestHost host = fleet.host(0);
        Path knownHosts = Files.createFile(home.resolve("extra_known_hosts"));

        TransportException e = Fixtures.connectFailure(settings(knownHosts, "strict"), host);

        assertThat(e.reason()).as(e.getMessage()).isEqualTo(TransportException.Reason.HOST_KEY);
        assertThat(e.getMessage())
                .startsWith("host key of 127.0.0.1:" + host.port() + " is not known (ssh-ed25519 "
                        + KeyUtils.getFingerPrint(host.hostKey()) + ")")
                .contains("ssh-keyscan -p " + host.port() + " 127.0.0.1 >> " + knownHosts)
                .contains("host_key_checking=accept-new")
                .doesNotContain("\n");
        assertThat(Files.readString(knownHosts)).isEmpty();
    }

    @Test
    void theMachinesKnownHostsFileIsTrustedAndNeverWritten() throws Exception {
        SshTestHost host = fleet.host(0);
        Path global = Files.writeString(home.resolve("ssh_known_hosts"), host.knownHostsLine() + "\n");
        // the fleet's own known_hosts is left out: only the machine's file knows the host
        SshSettings strict = Fixtures.forFleet(fleet, home).unset("ssh_known_hosts").set("host_key_checking", "strict").settings()
                .withUserKnownHosts(home.resolve("empty_known_hosts"))
                .withGlobalKnownHosts(global);

        try (SshTransport ssh = new SshTransport(strict, EventSink.NONE, PassphrasePrompt.NONE)) {
            assertThat(ssh.execute(Fixtures.server(host), Command.of("true"), OutputListener.IGNORE).exitStatus()).isZero();
        }
        // accept-new records a new host in the user's file, never in the machine's
        SshSettings acceptNew = Fixtures.forFleet(fleet, home).unset("ssh_known_hosts").set("host_key_checking", "accept-new").settings()
                .withUserKnownHosts(home.resolve("user_known_hosts"))
                .withGlobalKnownHosts(global);
        try (SshTransport ssh = new SshTransport(acceptNew, EventSink.NONE, PassphrasePrompt.NONE)) {
            ssh.execute(Fixtures.server(fleet.host(1)), Command.of("true"), OutputListener.IGNORE);
        }
        assertThat(global).hasContent(host.knownHostsLine());
        assertThat(home.resolve("user_known_hosts")).content().contains(PublicKeyEntry.toString(fleet.host(1).hostKey()));
        assertThat(SshSettings.defaults().allKnownHostsFiles()).endsWith(Path.of("/etc/ssh/ssh_known_hosts"));
    }

    @Test
    void aKeyRevokedInTheMachinesFileIsRefusedThoughTheUsersFileKnowsIt() throws Exception {
        SshTestHost host = fleet.host(0);
        Path user = Files.writeString(home.resolve("user_known_hosts"), host.knownHostsLine() + "\n");
        Path global = Files.writeString(home.resolve("global_known_hosts"),
                "@revoked * " + PublicKeyEntry.toString(host.hostKey()) + "\n");
        SshSettings settings = Fixtures.forFleet(fleet, home).unset("ssh_known_hosts").set("host_key_checking", "strict")
                .settings().withUserKnownHosts(user).withGlobalKnownHosts(global);

        TransportException e = Fixtures.connectFailure(settings, host);

        assertThat(e.reason()).isEqualTo(TransportException.Reason.HOST_KEY);
        assertThat(e.getMessage()).contains("is marked @revoked in " + global);
    }

    @Test
    void refusesAChangedKeyEvenWithAcceptNew() throws Exception {
        SshTestHost host = fleet.host(0);
        String otherKey = PublicKeyEntry.toString(fleet.host(1).hostKey());
        Path knownHosts = Files.writeString(home.resolve("known_hosts_changed"),
                "[127.0.0.1]:" + host.port() + " " + otherKey + "\n");

        TransportException e = Fixtures.connectFailure(settings(knownHosts, "accept-new"), host);

        assertThat(e.reason()).isEqualTo(TransportException.Reason.HOST_KEY);
        assertThat(e.getMessage())
                .contains("has CHANGED")
                .contains(KeyUtils.getFingerPrint(fleet.host(1).hostKey()))
                .contains(KeyUtils.getFingerPrint(host.hostKey()))
                .contains("ssh-keygen -R '[127.0.0.1]:" + host.port() + "'");
        assertThat(Files.readAllLines(knownHosts)).hasSize(1);
    }

    @Test
    void acceptNewRecordsTheKeyExactlyOnceWhenManyConnectAtOnce() throws Exception {
        SshTestHost host = fleet.host(0);
        Path knownHosts = home.resolve("tofu/known_hosts"); // its directory does not exist yet
        Fixtures.Events events = new Fixtures.Events();

        // Eight runs connecting at the same moment, all seeing the key for the first time.
        Concurrently.run(8, i -> {
            SshSettings acceptNew = settings(knownHosts, "accept-new");
            try (SshTransport ssh = new SshTransport(acceptNew, events, PassphrasePrompt.NONE)) {
                return ssh.execute(Fixtures.server(host), Command.of("true"), OutputListener.IGNORE);
            }
        });

        assertThat(Files.readAllLines(knownHosts)).containsExactly(host.knownHostsLine());
        assertThat(events.logs(Event.Level.INFO)).filteredOn(m -> m.startsWith("added the host key")).hasSize(1);
        try (SshTransport strict = new SshTransport(settings(knownHosts, "strict"), EventSink.NONE,
                PassphrasePrompt.NONE)) {
            assertThat(strict.execute(Fixtures.server(host), Command.of("true"), OutputListener.IGNORE).succeeded())
                    .isTrue();
        }
    }

    @Test
    void acceptNewAddsALinePerNewHost() throws Exception {
        Path knownHosts = home.resolve("known_hosts_fleet");
        try (SshTransport ssh = new SshTransport(settings(knownHosts, "accept-new"), EventSink.NONE,
                PassphrasePrompt.NONE)) {
            Concurrently.run(6, i -> ssh.execute(Fixtures.server(fleet.host(i % 2)), Command.of("true"),
                    OutputListener.IGNORE));
        }

        assertThat(Files.readAllLines(knownHosts))
                .containsExactlyInAnyOrder(fleet.host(0).knownHostsLine(), fleet.host(1).knownHostsLine());
    }

    @Test
    void offAcceptsAnyKeyWithOneWarningPerRun() throws Exception {
        Path knownHosts = Files.createFile(home.resolve("empty_known_hosts"));
        Fixtures.Events events = new Fixtures.Events();
        try (SshTransport ssh = new SshTransport(settings(knownHosts, "off"), events, PassphrasePrompt.NONE)) {
            for (SshTestHost host : fleet.hosts()) {
                assertThat(ssh.execute(Fixtures.server(host), Command.of("true"), OutputListener.IGNORE).succeeded())
                        .isTrue();
            }
        }

        assertThat(events.logs(Event.Level.WARN)).singleElement().asString().startsWith("host key checking is off:");
        assertThat(Files.readString(knownHosts)).isEmpty();
    }

    @Test
    void understandsHashedKnownHostsEntries() throws Exception {
        SshTestHost host = fleet.host(0);
        Mac mac = KnownHostDigest.SHA1.create();
        byte[] salt = new byte[mac.getDefaultBlockSize()];
        new SecureRandom().nextBytes(salt);
        byte[] hash = KnownHostHashValue.calculateHashValue("127.0.0.1", host.port(), mac, salt);
        String hashed = KnownHostHashValue.append(new StringBuilder(), KnownHostDigest.SHA1, salt, hash)
                + " " + PublicKeyEntry.toString(host.hostKey());
        Path knownHosts = Files.writeString(home.resolve("hashed_known_hosts"), hashed + "\n");

        try (SshTransport ssh = new SshTransport(settings(knownHosts, "strict"), EventSink.NONE,
                PassphrasePrompt.NONE)) {
            assertThat(ssh.execute(Fixtures.server(host), Command.of("true"), OutputListener.IGNORE).succeeded())
                    .isTrue();
        }
    }

    @Test
    void aKeyRevokedWithAWildcardIsRefusedOnEveryPort() throws Exception {
        SshTestHost host = fleet.host(0);
        String key = PublicKeyEntry.toString(host.hostKey());
        for (String pattern : List.of("*", "[127.0.0.1]:*", "127.0.0.?,[127.0.0.1]:*")) {
            Path knownHosts = Files.writeString(home.resolve("revoked_known_hosts"),
                    host.knownHostsLine() + "\n@revoked " + pattern + " " + key + "\n");

            TransportException e = Fixtures.connectFailure(settings(knownHosts, "strict"), host);

            assertThat(e.reason()).as(pattern).isEqualTo(TransportException.Reason.HOST_KEY);
            assertThat(e.getMessage()).as(pattern).contains("is marked @revoked in");
        }
    }

    @Test
    void aWildcardEntryKnowsTheHostOnEveryPortAsInOpenSsh() throws Exception {
        SshTestHost host = fleet.host(0);
        String key = PublicKeyEntry.toString(host.hostKey());
        Path knownHosts = Files.writeString(home.resolve("wildcard_known_hosts"), "[127.0.0.1]:* " + key + "\n");
        try (SshTransport ssh = new SshTransport(settings(knownHosts, "strict"), EventSink.NONE,
                PassphrasePrompt.NONE)) {
            assertThat(ssh.execute(Fixtures.server(host), Command.of("true"), OutputListener.IGNORE).succeeded())
                    .isTrue();
        }
        // a negated pattern excludes the host, as in OpenSSH: the key is then not known
        Path negated = Files.writeString(home.resolve("negated_known_hosts"),
                "[127.0.0.1]:*,![127.0.0.1]:" + host.port() + " " + key + "\n");
        assertThat(Fixtures.connectFailure(settings(negated, "strict"), host).getMessage()).contains("is not known");
    }

    @Test
    void checksTheUsersOwnKnownHostsToo() throws Exception {
        SshTestHost host = fleet.host(1);
        Files.writeString(home.resolve("known_hosts"), host.knownHostsLine() + "\n", StandardCharsets.UTF_8);
        SshSettings settings = Fixtures.forFleet(fleet, home).unset("ssh_known_hosts").settings();

        try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, PassphrasePrompt.NONE)) {
            assertThat(ssh.execute(Fixtures.server(host), Command.of("true"), OutputListener.IGNORE).succeeded())
                    .isTrue();
        }
    }

    private SshSettings settings(Path knownHosts, String checking) {
        return Fixtures.forFleet(fleet, home)
                .set("ssh_known_hosts", List.of(knownHosts.toString()))
                .set("host_key_checking", checking)
                .settings();
    }

}
