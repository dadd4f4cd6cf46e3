package dev.capstan.testkit;

import java.io.IOException;

import org.apache.sshd.common.Service;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.session.AbstractServerSession;
import org.apache.sshd.server.session.ServerConnectionService;
import org.apache.sshd.server.session.ServerConnectionServiceFactory;

/**
 * The "ssh-connection" service with OpenSSH's MaxSessions behaviour: a session-channel open beyond the limit is
 * answered with SSH_MSG_CHANNEL_OPEN_FAILURE ("administratively prohibited") and the connection stays up.
 *
 * <p>MINA's own {@code MAX_CONCURRENT_CHANNELS} is no substitute: it throws from channel registration, which tears
 * down the whole session, and it lets one channel more than the limit through.
 */
public final class ChannelLimitingConnectionServiceFactory extends ServerConnectionServiceFactory {

    private final int maxChannels;

    /** @param maxChannels the most session channels open at once per connection; 0 means unlimited */
    public ChannelLimitingConnectionServiceFactory(int maxChannels) {
        this.maxChannels = maxChannels;
    }

    @Override
    public Service create(Session session) throws IOException {
        if (!(session instanceof AbstractServerSession serverSession)) {
            throw new IllegalArgumentException("not a server session: " + session);
        }
        LimitingService service = new LimitingService(serverSession, maxChannels);
        service.addPortForwardingEventListenerManager(this);
        return service;
    }

    private static final class LimitingService extends ServerConnectionService {
        private final int maxChannels;

        LimitingService(AbstractServerSession session, int maxChannels) throws IOException {
            super(session);
            this.maxChannels = maxChannels;
        }

        @Override
        protected void channelOpen(Buffer buffer) throws Exception {
            if (maxChannels > 0) {
                int start = buffer.rpos();
                String type = buffer.getString();
                long sender = buffer.getUInt();
                if ("session".equals(type) && liveSessionChannels() >= maxChannels) {
                    sendChannelOpenFailure(buffer, sender,
                            SshConstants.SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed", "");
                    return;
                }
                buffer.rpos(start); // let MINA parse the request from the beginning
            }
            super.channelOpen(buffer);
        }

        /*
         * Channels being closed do not count: the client may open a new channel as soon as it has our CLOSE, which
         * can be before MINA unregisters the old one. Opens are handled one at a time per connection, so no race.
         */
        private long liveSessionChannels() {
            return getChannels().stream()
                    .filter(c -> c instanceof ChannelSession && !c.isClosing())
                    .count();
        }
    }
}
