package dev.capstan.testkit;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.channel.ChannelListener;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.server.channel.ChannelSession;

/**
 * Server-side counts of one host's connections and session channels (exec, shell, sftp), kept from MINA's session
 * and channel events. Forwarding channels are not counted, as OpenSSH's MaxSessions does not count them either.
 */
final class ConnectionStats implements SessionListener, ChannelListener {

    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger channelsOpen = new AtomicInteger();
    private final AtomicInteger peakPerConnection = new AtomicInteger();
    private final AtomicInteger peakTotal = new AtomicInteger();
    private final Map<Session, AtomicInteger> channelsBySession = new ConcurrentHashMap<>();
    // Open/close events are paired through this set, so a channel is never counted down twice.
    private final Set<Channel> counted = ConcurrentHashMap.newKeySet();

    @Override
    public void sessionCreated(Session session) {
        channelsBySession.put(session, new AtomicInteger());
        accepted.incrementAndGet();
        open.incrementAndGet();
    }

    @Override
    public void sessionClosed(Session session) {
        if (channelsBySession.remove(session) != null) {
            open.decrementAndGet();
        }
    }

    @Override
    public void channelOpenSuccess(Channel channel) {
        if (channel instanceof ChannelSession && counted.add(channel)) {
            AtomicInteger onSession = channelsBySession.get(channel.getSession());
            if (onSession != null) {
                raise(peakPerConnection, onSession.incrementAndGet());
            }
            raise(peakTotal, channelsOpen.incrementAndGet());
        }
    }

    @Override
    public void channelClosed(Channel channel, Throwable reason) {
        if (counted.remove(channel)) {
            AtomicInteger onSession = channelsBySession.get(channel.getSession());
            if (onSession != null) {
                onSession.decrementAndGet();
            }
            channelsOpen.decrementAndGet();
        }
    }

    int connectionsAccepted() {
        return accepted.get();
    }

    int openConnections() {
        return open.get();
    }

    int peakChannels() {
        return peakPerConnection.get();
    }

    int peakChannelsTotal() {
        return peakTotal.get();
    }

    /** Zeroes the accepted count; peaks restart from what is open right now, not from zero. */
    void reset() {
        accepted.set(0);
        peakTotal.set(channelsOpen.get());
        peakPerConnection.set(channelsBySession.values().stream().mapToInt(AtomicInteger::get).max().orElse(0));
    }

    private static void raise(AtomicInteger peak, int candidate) {
        peak.accumulateAndGet(candidate, Math::max);
    }
}
