package dev.capstan.testkit;

import java.nio.file.Path;

import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.sftp.server.SftpSubsystem;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;

/**
 * SFTP over the real file system, where absolute paths mean what they mean on the machine and relative paths start
 * in the host's root, as they start in the login directory with OpenSSH's sftp-server.
 */
final class HomeSftpSubsystemFactory extends SftpSubsystemFactory {

    private final Path home;

    HomeSftpSubsystemFactory(Path home) {
        this.home = home;
    }

    @Override
    public Command createSubsystem(ChannelSession channel) {
        // MINA would start in the JVM's working directory; every relative path resolves against this instead.
        SftpSubsystem subsystem = new SftpSubsystem(channel, this) {
            @Override
            public Path getDefaultDirectory() {
                return home;
            }
        };
        getRegisteredListeners().forEach(subsystem::addSftpEventListener);
        return subsystem;
    }
}
