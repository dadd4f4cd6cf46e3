package dev.capstan.testkit.fleet;

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
 * OpenSSH's MaxSessions for the simulated hosts: a session-channel open beyond the limit is refused with
 * "administratively prohibited" and the connection stays up, as sshd does (MINA's own limit would drop the whole
 * connection).
 */
final class MaxSessionsServiceFactory extends ServerConnectionServiceFactory {

    private final int maxSessions;

    /** @param maxSessions the most session channels open at once per connection; 0 for no limit */
    MaxSessionsServiceFactory(int maxSessions) {
        this.maxSessions = maxSessions;
    }

    @Override
    public Service create(Session session) throws IOException {
        LimitedConnectionService service = new LimitedConnectionService((AbstractServerSession) session, maxSessions);
        service.addPortForwardingEventListenerManager(this);
        return service;
    }

    private static final class LimitedConnectionService extends ServerConnectionService {
        private final int maxSessions;

        LimitedConnectionService(AbstractServerSession session, int maxSessions) throws IOException {
            super(session);
            this.maxSessions = maxSessions;
        }

        @Override
        protected void channelOpen(Buffer buffer) throws Exception {
            if (maxSessions > 0) {
                int mark = buffer.rpos();
                String type = buffer.getString();
                long sender = buffer.getUInt();
                // channels already closing do not count: the client may reuse the slot once it has seen our CLOSE
                long open = getChannels().stream().filter(c -> c instanceof ChannelSession && !c.isClosing()).count();
                if ("session".equals(type) && open >= maxSessions) {
                    sendChannelOpenFailure(buffer, sender, SshConstants.SSH_OPEN_ADMINISTRATIVELY_PROHIBITED,
                            "open failed", "");
                    return;
                }
                buffer.rpos(mark); // MINA parses the request from its start
            }
            super.channelOpen(buffer);
        }
    }
}
