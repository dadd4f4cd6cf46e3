package dev.capstan.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.sshd.client.channel.ChannelDirectTcpip;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SshTestFleetTest {

    @Test
    void startsNamedHostsWithSharedClientFiles() throws IOException {
        List<Path> roots;
        try (SshTestFleet fleet = SshTestFleet.start(3); TestClient client = new TestClient()) {
            assertThat(fleet.hosts()).extracting(SshTestHost::name).containsExactly("host1", "host2", "host3");
            assertThat(fleet.host(1)).isSameAs(fleet.hosts().get(1));
            assertThat(fleet.hosts()).extracting(SshTestHost::port).doesNotHaveDuplicates();
            assertThat(Files.readAllLines(fleet.knownHostsFile()))
                    .containsExactlyElementsOf(fleet.hosts().stream().map(SshTestHost::knownHostsLine).toList());
            assertThat(fleet.identityFile()).isEqualTo(ClientKey.shared().privateKeyFile());

            for (SshTestHost host : fleet.hosts()) {
                ClientSession session = client.login(host, fleet.identityFile());
                assertThat(TestClient.exec(session, "pwd").out()).isEqualTo(host.root() + "\n");
            }
            roots = fleet.hosts().stream().map(SshTestHost::root).toList();
        }
        assertThat(roots).allSatisfy(root -> assertThat(root).doesNotExist());
    }

    @Test
    void templateAppliesToEveryHost(@TempDir Path dir) throws IOException {
        ClientKey key = ClientKey.generate(dir.resolve("key"));
        SshTestHost.Options template = SshTestHost.Options.defaults()
                .withName("web").withRoot(dir.resolve("hosts")).withAuthorizedKey(key);
        try (SshTestFleet fleet = SshTestFleet.start(2, template)) {
            assertThat(fleet.hosts()).extracting(SshTestHost::name).containsExactly("web1", "web2");
            assertThat(fleet.host(1).root()).isEqualTo(dir.resolve("hosts/web2").toRealPath());
            assertThat(fleet.identityFile()).isEqualTo(key.privateKeyFile());
        }
    }

    @Test
    void aHostForwardsToAnotherLikeAJumpHost() throws IOException {
        try (SshTestFleet fleet = SshTestFleet.start(2); TestClient client = new TestClient()) {
            ClientSession jump = client.login(fleet.host(0));
            SshdSocketAddress target = new SshdSocketAddress("127.0.0.1", fleet.host(1).port());
            try (ChannelDirectTcpip tunnel = jump.createDirectTcpipChannel(SshdSocketAddress.LOCALHOST_ADDRESS, target)) {
                tunnel.open().verify(TestClient.TIMEOUT);
                InputStream in = tunnel.getInvertedOut();
                assertThat(new String(in.readNBytes(8), UTF_8)).isEqualTo("SSH-2.0-");
            }
        }
    }

    /** The files must satisfy OpenSSH itself, the strictest consumer of known_hosts and key files. */
    @Test
    void openSshClientAcceptsTheFleetFiles() throws IOException, InterruptedException {
        Path ssh = Path.of("/usr/bin/ssh");
        assumeTrue(Files.isExecutable(ssh), "no OpenSSH client installed");
        try (SshTestFleet fleet = SshTestFleet.start(1)) {
            SshTestHost host = fleet.host(0);
            Process p = new ProcessBuilder(ssh.toString(), "-F", "/dev/null",
                    "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes",
                    "-o", "UserKnownHostsFile=" + fleet.knownHostsFile(), "-o", "GlobalKnownHostsFile=/dev/null",
                    "-i", fleet.identityFile().toString(), "-p", Integer.toString(host.port()),
                    host.user() + "@" + host.hostAddress(), "echo \"$HOME\"; exit 7")
                    .redirectErrorStream(true).start();
            p.getOutputStream().close();
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            String output = new String(p.getInputStream().readAllBytes(), UTF_8);
            assertThat(output).isEqualTo(host.root() + "\n");
            assertThat(p.exitValue()).isEqualTo(7);
        }
    }
}
