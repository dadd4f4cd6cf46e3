package dev.capstan.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.Map;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.junit.jupiter.api.Test;

class SshTestHostTest {

    @Test
    void describesItselfForClients() throws IOException, GeneralSecurityException {
        try (SshTestHost host = SshTestHost.start()) {
            assertThat(host.hostAddress()).isEqualTo("127.0.0.1");
            assertThat(host.port()).isPositive();
            assertThat(host.name()).isEqualTo("sandbox-" + host.port());
            assertThat(host.user()).isEqualTo(System.getProperty("user.name"));
            assertThat(host.spec()).isEqualTo(host.user() + "@127.0.0.1:" + host.port());
            assertThat(host.root()).isDirectory();

            String prefix = "[127.0.0.1]:" + host.port() + " ";
            assertThat(host.knownHostsLine()).startsWith(prefix + "ssh-ed25519 AAAA");
            PublicKeyEntry entry = PublicKeyEntry.parsePublicKeyEntry(host.knownHostsLine().substring(prefix.length()));
            assertThat(KeyUtils.compareKeys(entry.resolvePublicKey(null, Map.of(), PublicKeyEntryResolver.FAILING), host.hostKey()))
                    .isTrue();
        }
    }

    @Test
    void everyHostHasItsOwnPortAndHostKey() throws IOException {
        try (SshTestHost a = SshTestHost.start(SshTestHost.Options.defaults().withName("a"));
                SshTestHost b = SshTestHost.start()) {
            assertThat(a.name()).isEqualTo("a");
            assertThat(a.port()).isNotEqualTo(b.port());
            assertThat(KeyUtils.compareKeys(a.hostKey(), b.hostKey())).isFalse();
        }
    }

    @Test
    void optionsStartFromSafeDefaults() {
        SshTestHost.Options defaults = SshTestHost.Options.defaults();
        assertThat(defaults).isEqualTo(new SshTestHost.Options(null, 0, false, null, null, null));
        assertThat(defaults.withPassword("pw").allowPassword()).isTrue();
        assertThat(defaults.withPassword("pw").withPassword(null).allowPassword()).isFalse();
        assertThat(defaults.withMaxChannels(3).withName("x").maxChannelsPerConnection()).isEqualTo(3);
        assertThatThrownBy(() -> defaults.withMaxChannels(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SshTestHost.Options(null, 0, true, null, null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(defaults.extraHostKeyTypes()).isEmpty();
        assertThat(defaults.hostCertificate()).isFalse();
    }

    @Test
    void aHostMayHaveKeysOfSeveralTypesAndACertificate() throws IOException {
        try (SshTestHost host = SshTestHost.start(SshTestHost.Options.defaults()
                .withExtraHostKeys("ecdsa-sha2-nistp256", "ssh-rsa").withHostCertificate(true))) {
            assertThat(host.hostKeys()).extracting(KeyUtils::getKeyType)
                    .containsExactly("ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa");
            assertThat(host.knownHostsLine(host.hostKeys().get(0))).isEqualTo(host.knownHostsLine());
            assertThat(KeyUtils.compareKeys(host.hostCertificate().getCertPubKey(), host.hostKey())).isTrue();
            assertThat(KeyUtils.compareKeys(host.hostCertificate().getCaPubKey(), host.certificateAuthority()))
                    .isTrue();
        }
    }
}
