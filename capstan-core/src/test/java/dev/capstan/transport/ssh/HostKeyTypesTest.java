package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.event.EventSink;
import dev.capstan.testkit.ClientKey;
import dev.capstan.testkit.SshTestHost;
import dev.capstan.transport.Command;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.TransportException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
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

/**
 * Hosts with keys of several types, as OpenSSH hosts have (ed25519, ecdsa, rsa), where known_hosts records only some
 * of them: the types known for the host are asked for first, as OpenSSH asks for them; a host that offers only a key
 * the file does not have is refused as changed, whatever its type, as OpenSSH refuses it.
 */
class HostKeyTypesTest {

    private static SshTestHost multiKey;
    private static SshTestHost ed25519Only;

    @TempDir
    Path home;

    @BeforeAll
    static void start() throws Exception {
        multiKey = SshTestHost.start(SshTestHost.Options.defaults()
                .withExtraHostKeys("ecdsa-sha2-nistp256", "ssh-rsa"));
        ed25519Only = SshTestHost.start();
    }

    @AfterAll
    static void stop() {
        multiKey.close();
        ed25519Only.close();
    }

    @Test
    void aHostKnownByItsEd25519KeyConnectsThoughItAlsoHasOthers() throws Exception {
        // as `ssh` records it; in the ssh_known_hosts file, the user's own has nothing
        Path knownHosts = Files.writeString(home.resolve("ssh_known_hosts"), multiKey.knownHostsLine() + "\n");

        assertConnects(settings(knownHosts, "strict"), multiKey);
    }

    @Test
    void eachKnownTypeIsAskedForWhateverTheOrderOfTheFile() throws Exception {
        for (PublicKey key : multiKey.hostKeys()) {
            Path knownHosts = Files.writeString(home.resolve("known_hosts"), multiKey.knownHostsLine(key) + "\n");

            assertConnects(settings(knownHosts, "strict"), multiKey);
        }
    }

    @Test
    void hashedEntriesAndTheSshKnownHostsFilesCountToo() throws Exception {
        PublicKey rsa = multiKey.hostKeys().get(2);
        Path hashed = Files.writeString(home.resolve("known_hosts"), hashedLine(multiKey, rsa) + "\n");
        assertConnects(settings(hashed, "strict"), multiKey);

        // known only to the user's own file, with ssh_known_hosts another (empty) file
        Path empty = Files.createFile(home.resolve("extra_known_hosts"));
        Files.writeString(home.resolve("known_hosts"), multiKey.knownHostsLine(rsa) + "\n");
        SshSettings userFile = Fixtures.forFleetless(home)
                .set("ssh_identity", ClientKey.shared().privateKeyFile().toString())
                .set("ssh_known_hosts", List.of(empty.toString()))
                .settings();
        assertConnects(userFile, multiKey);
    }

    @Test
    void aHostOfferingOnlyAKeyOfAnotherTypeThanTheKnownOneIsRefusedAsChanged() throws Exception {
        // known_hosts has an ecdsa key for the host; the host offers only ed25519: what a man in the middle would do,
        // and what OpenSSH refuses, also with accept-new
        String ecdsa = PublicKeyEntry.toString(multiKey.hostKeys().get(1));
        Path knownHosts = Files.writeString(home.resolve("known_hosts"),
                "[127.0.0.1]:" + ed25519Only.port() + " " + ecdsa + "\n");

        for (String checking : List.of("strict", "accept-new")) {
            TransportException e = Fixtures.connectFailure(settings(knownHosts, checking), ed25519Only);
            assertThat(e.getMessage()).as(checking).contains("has CHANGED")
                    .contains(KeyUtils.getFingerPrint(ed25519Only.hostKey()));
        }
        assertThat(Files.readAllLines(knownHosts)).containsExactly("[127.0.0.1]:" + ed25519Only.port() + " " + ecdsa);
    }

    @Test
    void aChangedKeyOfAKnownTypeIsStillRefused() throws Exception {
        // the host's ed25519 key is recorded as another one; its ecdsa key is not recorded at all
        String otherEd25519 = PublicKeyEntry.toString(ed25519Only.hostKey());
        Path knownHosts = Files.writeString(home.resolve("known_hosts"),
                "[127.0.0.1]:" + multiKey.port() + " " + otherEd25519 + "\n");

        TransportException e = Fixtures.connectFailure(settings(knownHosts, "accept-new"), multiKey);

        assertThat(e.getMessage()).contains("has CHANGED").contains(KeyUtils.getFingerPrint(multiKey.hostKey()));
    }

    @Test
    void acceptNewRecordsTheKeyOfAHostCertificateNotTheCertificate() throws Exception {
        try (SshTestHost certified = SshTestHost.start(SshTestHost.Options.defaults().withHostCertificate(true))) {
            Path knownHosts = home.resolve("known_hosts");

            assertConnects(settings(knownHosts, "accept-new"), certified);

            // the plain key, as OpenSSH records it; a strict run then knows the host
            assertThat(Files.readAllLines(knownHosts)).containsExactly(certified.knownHostsLine());
            assertConnects(settings(knownHosts, "strict"), certified);
            assertConnects(settings(knownHosts, "accept-new"), certified);
            assertThat(Files.readAllLines(knownHosts)).containsExactly(certified.knownHostsLine());
        }
    }

    private static String hashedLine(SshTestHost host, PublicKey key) throws Exception {
        Mac mac = KnownHostDigest.SHA1.create();
        byte[] salt = new byte[mac.getDefaultBlockSize()];
        new SecureRandom().nextBytes(salt);
        byte[] hash = KnownHostHashValue.calculateHashValue("127.0.0.1", host.port(), mac, salt);
        return KnownHostHashValue.append(new StringBuilder(), KnownHostDigest.SHA1, salt, hash)
                + " " + PublicKeyEntry.toString(key);
    }

    private SshSettings settings(Path knownHosts, String checking) {
        return Fixtures.forFleetless(home)
                .set("ssh_identity", ClientKey.shared().privateKeyFile().toString())
                .set("ssh_known_hosts", List.of(knownHosts.toString()))
                .set("host_key_checking", checking)
                .settings();
    }

    @Test
    void aCertificateAuthorityForEveryHostTrustsACertifiedHostOnAnyPort() throws Exception {
        try (SshTestHost certified = SshTestHost.start(SshTestHost.Options.defaults().withHostCertificate(true))) {
            String authority = PublicKeyEntry.toString(certified.certificateAuthority());
            for (String pattern : List.of("*", "[127.0.0.1]:*")) {
                Path knownHosts = Files.writeString(home.resolve("ca_known_hosts"), "@cert-authority " + pattern + " "
                        + authority + "\n");
                assertConnects(settings(knownHosts, "strict"), certified);
            }
        }
    }

    private static void assertConnects(SshSettings settings, SshTestHost host) throws Exception {
        try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, PassphrasePrompt.NONE)) {
            assertThat(ssh.execute(Fixtures.server(host), Command.of("true"), OutputListener.IGNORE).succeeded())
                    .isTrue();
        }
    }

}
