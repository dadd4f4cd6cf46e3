package dev.capstan.testkit;

import java.io.IOException;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.channel.RequestHandler;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.server.channel.ChannelSession;

/**
 * Session channels that refuse {@code signal} requests, as OpenSSH does for a root login (which has no privilege
 * separation after it): the client is told, and the command goes on running.
 */
final class SignalRefusingSessions implements ChannelFactory {
    static final SignalRefusingSessions INSTANCE = new SignalRefusingSessions();

    private SignalRefusingSessions() {
    }

    @Override
    public String getName() {
        return "session";
    }

    @Override
    public Channel createChannel(Session session) {
        return new ChannelSession() {
            @Override
            protected RequestHandler.Result handleSignal(Buffer buffer, boolean wantReply) throws IOException {
                buffer.getString(); // the signal's name
                return RequestHandler.Result.ReplyFailure;
            }
        };
    }
}
