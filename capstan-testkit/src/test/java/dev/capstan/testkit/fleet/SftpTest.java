package dev.capstan.testkit.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;

import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.scp.client.ScpClient;
import org.apache.sshd.scp.client.ScpClientCreator;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.junit.jupiter.api.Test;

/** SFTP and SCP need hosts on disk: what they write is what the emulated shell then sees, and the other way round. */
class SftpTest {

    @Test
    void anUploadedFileIsThereForTheShell() throws IOException {
        try (SimulatedFleet fleet = SimulatedFleet.start(SimulatedFleet.Options.defaults().withHosts(2)
                .withStorage(SimulatedFleet.Storage.DISK));
                FleetClient client = new FleetClient(fleet);
                ClientSession session = client.login(fleet.host(1))) {
            assertThat(FleetClient.exec(session, "mkdir -p /srv/app/releases").status()).isZero();
            try (SftpClient sftp = SftpClientFactory.instance().createSftpClient(session)) {
                try (OutputStream out = sftp.write("/srv/app/releases/.upload-1-app.txt")) {
                    out.write("artifact\n".getBytes());
                }
                try (OutputStream out = sftp.write("relative.txt")) {
                    out.write("home\n".getBytes());
                }
            }
            assertThat(FleetClient.exec(session, "test -f /srv/app/releases/.upload-1-app.txt").status()).isZero();
            assertThat(FleetClient.exec(session, "cat /srv/app/releases/.upload-1-app.txt ~/relative.txt").out())
                    .isEqualTo("artifact\nhome\n");
            assertThat(Files.readString(fleet.host(1).root().resolve("srv/app/releases/.upload-1-app.txt")))
                    .isEqualTo("artifact\n");
            assertThat(fleet.host(0).files().stat("/srv/app")).isNull();
            // and through the deploy recipe's current link
            FleetClient.exec(session, "ln -sfn /srv/app/releases /srv/app/current");
            try (SftpClient sftp = SftpClientFactory.instance().createSftpClient(session)) {
                assertThat(sftp.stat("/srv/app/current/.upload-1-app.txt").getSize()).isEqualTo(9);
            }
        }
    }

    @Test
    void scpUploadsOnDiskHostsAsCapistranoDoes() throws IOException {
        try (SimulatedFleet fleet = SimulatedFleet.start(SimulatedFleet.Options.defaults().withHosts(1)
                .withStorage(SimulatedFleet.Storage.DISK));
                FleetClient client = new FleetClient(fleet);
                ClientSession session = client.login(fleet.host(0))) {
            FleetClient.exec(session, "mkdir -p /srv/app");
            ScpClient scp = ScpClientCreator.instance().createScpClient(session);
            scp.upload("artifact\n".getBytes(), "/srv/app/app.jar", List.of(PosixFilePermission.OWNER_READ,
                    PosixFilePermission.OWNER_WRITE), null);

            assertThat(FleetClient.exec(session, "cat /srv/app/app.jar").out()).isEqualTo("artifact\n");
            // an exec that is not scp still runs in the emulated shell
            assertThat(FleetClient.exec(session, "echo scp-less").out()).isEqualTo("scp-less\n");
        }
    }

    @Test
    void inMemoryHostsHaveNoSftp() throws IOException {
        try (SimulatedFleet fleet = SimulatedFleet.start(1);
                FleetClient client = new FleetClient(fleet);
                ClientSession session = client.login(fleet.host(0))) {
            assertThatThrownBy(() -> SftpClientFactory.instance().createSftpClient(session).close())
                    .isInstanceOf(IOException.class);
        }
    }
}
