package dev.capstan.testkit.fleet;

import java.nio.file.Path;

import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.sftp.server.SftpSubsystem;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;

/**
 * SFTP on a host with a disk file system: MINA's SFTP server over the host's root, where relative paths start in the
 * login user's home, as with OpenSSH's sftp-server.
 */
final class FleetSftpFactory extends SftpSubsystemFactory {

    @Override
    public Command createSubsystem(ChannelSession channel) {
        String user = channel.getSession().getUsername();
        String home = user.equals("root") ? "/root" : "/home/" + user;
        SftpSubsystem subsystem = new SftpSubsystem(channel, this) {
            @Override
            public Path getDefaultDirectory() {
                return fileSystem.getPath(home);
            }
        };
        getRegisteredListeners().forEach(subsystem::addSftpEventListener);
        return subsystem;
    }
}
