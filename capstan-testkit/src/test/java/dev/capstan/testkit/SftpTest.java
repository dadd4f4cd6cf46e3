package dev.capstan.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftpTest {

    @Test
    void writesAndReadsFilesByAbsoluteAndRelativePath(@TempDir Path elsewhere) throws IOException {
        try (SshTestHost host = SshTestHost.start(); TestClient client = new TestClient()) {
            ClientSession session = client.login(host);
            try (SftpClient sftp = SftpClientFactory.instance().createSftpClient(session)) {
                String absolute = elsewhere.resolve("abs.txt").toString();
                write(sftp, absolute, "absolute content");
                write(sftp, "rel.txt", "relative content");

                assertThat(read(sftp, absolute)).isEqualTo("absolute content");
                assertThat(read(sftp, "rel.txt")).isEqualTo("relative content");
                assertThat(sftp.canonicalPath(".")).isEqualTo(host.root().toString());
            }
            // Absolute paths mean the real file system; relative ones start in the host's root.
            assertThat(Files.readString(elsewhere.resolve("abs.txt"))).isEqualTo("absolute content");
            assertThat(Files.readString(host.root().resolve("rel.txt"))).isEqualTo("relative content");
            assertThat(host.peakChannels()).isEqualTo(1);
        }
    }

    private static void write(SftpClient sftp, String path, String content) throws IOException {
        try (OutputStream out = sftp.write(path)) {
            out.write(content.getBytes(UTF_8));
        }
    }

    private static String read(SftpClient sftp, String path) throws IOException {
        try (InputStream in = sftp.read(path)) {
            return new String(in.readAllBytes(), UTF_8);
        }
    }
}
