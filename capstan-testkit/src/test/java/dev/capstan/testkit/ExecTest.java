package dev.capstan.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.EnumSet;

import org.apache.sshd.client.channel.ChannelShell;
import org.apache.sshd.client.channel.ClientChannelEvent;

import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ExecTest {

    static SshTestHost host;
    static TestClient client;
    static ClientSession session;

    @BeforeAll
    static void start() throws IOException {
        host = SshTestHost.start();
        client = new TestClient();
        session = client.login(host);
    }

    @AfterAll
    static void stop() {
        client.close();
        host.close();
    }

    @Test
    void commandOutputAndExitStatusReachTheClient() throws IOException {
        TestClient.Result result = TestClient.exec(session, "echo hello; echo oops >&2");

        assertThat(result.out()).isEqualTo("hello\n");
        assertThat(result.err()).isEqualTo("oops\n");
        assertThat(result.exitStatus()).isZero();
        assertThat(host.commandsRun()).contains("echo hello; echo oops >&2");
    }

    @Test
    void nonZeroExitStatusIsReported() throws IOException {
        assertThat(TestClient.exec(session, "exit 3").exitStatus()).isEqualTo(3);
        assertThat(TestClient.exec(session, "false").exitStatus()).isEqualTo(1);
    }

    @Test
    void stdinIsForwardedAndClosedAtEof() throws IOException {
        TestClient.Result result = TestClient.exec(session, "cat; echo done", "line 1\nline 2\n");

        assertThat(result.out()).isEqualTo("line 1\nline 2\ndone\n");
        assertThat(result.exitStatus()).isZero();
    }

    @Test
    void commandsRunInTheRootWithHomeSetToIt() throws IOException {
        TestClient.Result result = TestClient.exec(session, "pwd; echo \"$HOME\"; echo \"$USER\"");

        assertThat(result.out().lines())
                .containsExactly(host.root().toString(), host.root().toString(), host.user());
    }

    @Test
    void largeOutputArrivesComplete() throws IOException {
        TestClient.Result result = TestClient.exec(session, "seq 1 200000");

        assertThat(result.out().lines()).hasSize(200000).endsWith("200000");
        assertThat(result.exitStatus()).isZero();
    }

    @Test
    void shellChannelReadsCommandsFromStdin() throws IOException {
        try (ChannelShell shell = session.createShellChannel()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            shell.setOut(out);
            shell.setErr(new ByteArrayOutputStream());
            shell.open().verify(TestClient.TIMEOUT);
            try (OutputStream in = shell.getInvertedIn()) {
                in.write("pwd\nexit 4\n".getBytes(UTF_8));
            }
            shell.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), TestClient.TIMEOUT);

            assertThat(out.toString(UTF_8)).isEqualTo(host.root() + "\n");
            assertThat(shell.getExitStatus()).isEqualTo(4);
        }
    }

    @Test
    void commandsAreRecordedInOrder() throws IOException {
        try (SshTestHost own = SshTestHost.start(); TestClient c = new TestClient()) {
            ClientSession s = c.login(own);
            TestClient.exec(s, "echo one");
            TestClient.exec(s, "echo two");

            assertThat(own.commandsRun()).containsExactly("echo one", "echo two");
            own.resetCounters();
            assertThat(own.commandsRun()).isEmpty();
        }
    }
}
