package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.event.Event;
import dev.capstan.testkit.ClientKey;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier.HostEntryPair;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyEncryptionContext;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key files and known_hosts read ahead of the first connection, on another thread: the first login gets the same keys,
 * warnings and prompts as if they were read then, and a known_hosts file that changed in between is read again.
 */
class EarlyReadsTest {

    private static final SshTarget TARGET = new SshTarget("deploy", "web1", 22, List.of(), false, null);

    @TempDir
    Path home;

    @Test
    void theFirstLoginUsesTheKeysReadAhead() throws Exception {
        Files.copy(ClientKey.shared().privateKeyFile(), home.resolve("id_ed25519"));
        Identities identities = identities(Fixtures.forFleetless(home).settings(), new Fixtures.Events(),
                PassphrasePrompt.NONE);

        identities.prepare();
        Files.delete(home.resolve("id_ed25519")); // gone: only the early read can supply it now

        assertThat(identities.keysFor(TARGET)).singleElement().satisfies(k ->
                assertThat(KeyUtils.compareKeys(k.getPublic(), ClientKey.shared().publicKey())).isTrue());
    }

    @Test
    void aMissingIdentityIsReportedWhenALoginWantsIt() {
        Path missing = home.resolve("nope");
        Fixtures.Events events = new Fixtures.Events();
        Identities identities = identities(Fixtures.forFleetless(home).set("ssh_identity", missing.toString())
                .settings(), events, PassphrasePrompt.NONE);

        identities.prepare();
        assertThat(events.all).isEmpty();

        assertThat(identities.keysFor(TARGET)).isEmpty();
        assertThat(events.logs(Event.Level.WARN)).containsExactly("identity file " + missing
                + " (ssh_identity) does not exist");
    }

    @Test
    void anEncryptedKeyAsksForItsPassphraseAtLoginNotWhileReadAhead() throws Exception {
        Path key = home.resolve("id_encrypted");
        OpenSSHKeyEncryptionContext encryption = new OpenSSHKeyEncryptionContext();
        encryption.setPassword("open sesame");
        encryption.setCipherType("256");
        try (OutputStream out = Files.newOutputStream(key)) {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(ClientKey.shared().keyPair(), "test", encryption, out);
        }
        List<String> prompts = new CopyOnWriteArrayList<>();
        Identities identities = identities(Fixtures.forFleetless(home).set("ssh_identity", key.toString()).settings(),
                new Fixtures.Events(), prompt -> {
                    prompts.add(prompt);
                    return "open sesame".toCharArray();
                });

        identities.prepare();
        assertThat(prompts).isEmpty();

        List<KeyPair> keys = identities.keysFor(TARGET);
        assertThat(prompts).containsExactly("Enter passphrase for key '" + key + "': ");
        assertThat(keys).hasSize(1);
    }

    @Test
    void aLoginBeforeTheReadAheadReadsTheFilesItself() {
        Fixtures.Events events = new Fixtures.Events();
        Identities identities = identities(Fixtures.forFleetless(home).set("ssh_identity",
                ClientKey.shared().privateKeyFile().toString()).settings(), events, PassphrasePrompt.NONE);

        assertThat(identities.keysFor(TARGET)).hasSize(1);
        identities.prepare(); // too late: nothing left to do, nothing reported

        assertThat(identities.keysFor(TARGET)).hasSize(1);
        assertThat(events.all).isEmpty();
    }

    @Test
    void knownHostsReadAheadAreUsedWhileTheFileIsUnchanged() throws Exception {
        Path file = home.resolve("known_hosts");
        Files.writeString(file, "[web1]:2222 " + PublicKeyEntry.toString(ClientKey.shared().publicKey()) + "\n");
        KnownHostsFile knownHosts = new KnownHostsFile(file);

        knownHosts.preload();

        assertThat(knownHosts.reloadKnownHosts(null, file)).singleElement()
                .satisfies(e -> assertThat(e.getHostEntry().getConfigLine()).startsWith("[web1]:2222 ssh-ed25519 "));
    }

    @Test
    void knownHostsChangedAfterTheReadAheadAreReadAgain() throws Exception {
        Path file = home.resolve("known_hosts");
        String key = PublicKeyEntry.toString(ClientKey.shared().publicKey());
        Files.writeString(file, "[web1]:2222 " + key + "\n");
        KnownHostsFile knownHosts = new KnownHostsFile(file);

        knownHosts.preload();
        Files.writeString(file, "[web2]:2222 " + key + "\n[web3]:2222 " + key + "\n");

        assertThat(knownHosts.reloadKnownHosts(null, file)).extracting(HostEntryPair::getHostEntry)
                .extracting(e -> e.getConfigLine().split(" ")[0]).containsExactly("[web2]:2222", "[web3]:2222");
    }

    private Identities identities(SshSettings settings, Fixtures.Events events, PassphrasePrompt prompt) {
        EventLog log = new EventLog(events);
        return new Identities(settings, prompt, new AgentConnector(null, log), log);
    }
}
