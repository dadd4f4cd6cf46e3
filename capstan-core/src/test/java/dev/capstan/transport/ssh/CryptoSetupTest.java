package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.testkit.openssh.OpenSshHosts;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * In a capstan run MINA uses the JDK's own crypto: no Bouncy Castle provider, ed25519 keys through {@link JdkEd25519},
 * and the curve arithmetic of the handshake through {@link Curve25519Provider}.
 */
class CryptoSetupTest {

    @Test
    void aFreshJvmConnectsWithTheJdksCryptoAlone() throws Exception {
        List<String> seen = FreshJvm.run();

        assertThat(seen).contains("embedded=embedded", "bouncy-castle-provider=false", "eddsa=JdkEd25519",
                "warnings=[]");
        // the key exchange's X25519 and the Ed25519 signatures on Bouncy Castle's low-level arithmetic
        assertThat(seen).contains("x25519=" + Curve25519Provider.NAME, "ed25519-signature=" + Curve25519Provider.NAME);
        // ed25519 host keys and identities, and both kinds of key exchange MINA prefers, on the JDK
        assertThat(seen).anyMatch(l -> l.startsWith("connected=connected to ")
                && l.endsWith("(key exchange mlkem768x25519-sha256)"));
        if (OpenSshHosts.discover().isPresent()) {
            assertThat(seen).contains("openssh=openssh");
            assertThat(seen).anyMatch(l -> l.contains("(key exchange curve25519-sha256"));
        }
    }

    @Test
    void encryptedPkcs8KeyFilesAreRecognised() {
        byte[] encrypted = "junk\n-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIF...\n".getBytes();
        byte[] plain = "-----BEGIN PRIVATE KEY-----\nMIIF...\n".getBytes();

        assertThat(CryptoSetup.needsBouncyCastle(encrypted)).isTrue();
        assertThat(CryptoSetup.needsBouncyCastle(plain)).isFalse();
        assertThat(CryptoSetup.needsBouncyCastle(new byte[0])).isFalse();
    }
}
