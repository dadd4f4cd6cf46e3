package dev.capstan.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientKeyTest {

    @Test
    void privateKeyIsAnUnencryptedOpenSshFileReadableOnlyByItsOwner(@TempDir Path dir) throws IOException {
        ClientKey key = ClientKey.generate(dir);
        Path file = key.privateKeyFile();

        assertThat(file.getParent()).isEqualTo(dir);
        assertThat(Files.readString(file))
                .startsWith("-----BEGIN OPENSSH PRIVATE KEY-----")
                .contains("-----END OPENSSH PRIVATE KEY-----");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(KeyUtils.compareKeys(TestClient.load(file).getPublic(), key.publicKey())).isTrue();
    }

    @Test
    void authorizedKeysLineIsOpenSshFormat(@TempDir Path dir) throws IOException {
        assertThat(ClientKey.generate(dir).authorizedKeysLine()).matches("ssh-ed25519 AAAA[A-Za-z0-9+/=]+ capstan-testkit");
    }

    @Test
    void sharedKeyIsOnePerJvm() {
        assertThat(ClientKey.shared()).isSameAs(ClientKey.shared());
        assertThat(ClientKey.shared().privateKeyFile()).isRegularFile();
    }
}
