package dev.capstan.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;

import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthenticationTest {

    @TempDir
    Path dir;

    @Test
    void theSharedKeyLogsInByDefault() throws IOException {
        try (SshTestHost host = SshTestHost.start(); TestClient client = new TestClient()) {
            ClientSession session = client.login(host);
            assertThat(session.isAuthenticated()).isTrue();
        }
    }

    @Test
    void anyOtherKeyIsRefused() throws IOException {
        ClientKey stranger = ClientKey.generate(dir);
        try (SshTestHost host = SshTestHost.start(); TestClient client = new TestClient()) {
            assertThatThrownBy(() -> client.login(host, stranger.privateKeyFile())).isInstanceOf(SshException.class);
        }
    }

    @Test
    void anAuthorizedKeyReplacesTheSharedOne() throws IOException {
        ClientKey own = ClientKey.generate(dir);
        SshTestHost.Options options = SshTestHost.Options.defaults().withAuthorizedKey(own);
        try (SshTestHost host = SshTestHost.start(options); TestClient client = new TestClient()) {
            assertThat(client.login(host, own.privateKeyFile()).isAuthenticated()).isTrue();
            assertThatThrownBy(() -> client.login(host)).isInstanceOf(SshException.class);
        }
    }

    @Test
    void passwordWorksWhenEnabled() throws IOException {
        SshTestHost.Options options = SshTestHost.Options.defaults().withPassword("s3cret");
        try (SshTestHost host = SshTestHost.start(options); TestClient client = new TestClient()) {
            assertThat(loginWithPassword(client, host, "s3cret").isAuthenticated()).isTrue();
            assertThatThrownBy(() -> loginWithPassword(client, host, "guess")).isInstanceOf(SshException.class);
            assertThat(client.login(host).isAuthenticated()).isTrue(); // the key still works too
        }
    }

    @Test
    void passwordIsRefusedByDefault() throws IOException {
        try (SshTestHost host = SshTestHost.start(); TestClient client = new TestClient()) {
            assertThatThrownBy(() -> loginWithPassword(client, host, "anything")).isInstanceOf(SshException.class);
        }
    }

    private static ClientSession loginWithPassword(TestClient client, SshTestHost host, String password)
            throws IOException {
        ClientSession session = client.connect(host);
        session.addPasswordIdentity(password);
        session.auth().verify(TestClient.TIMEOUT);
        return session;
    }
}
