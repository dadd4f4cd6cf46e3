package dev.capstan.testkit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.channel.ChannelListener;
import org.apache.sshd.server.channel.ChannelSession;

/** Every session channel a host served, in order of opening, on one logical clock (see {@link ServedChannel}). */
final class ChannelHistory implements ChannelListener {

    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private final Map<Channel, Integer> index = new HashMap<>();
    private final List<ServedChannel> served = new ArrayList<>();
    private long clock;

    @Override
    public void channelOpenSuccess(Channel channel) {
        if (channel instanceof ChannelSession) {
            synchronized (lock) {
                index.put(channel, served.size());
                served.add(new ServedChannel(null, ++clock, 0, 0));
            }
        }
    }

    @Override
    public void channelClosed(Channel channel, Throwable reason) {
        synchronized (lock) {
            update(channel, c -> new ServedChannel(c.command(), c.opened(), c.started(), ++clock));
            index.remove(channel);
        }
    }

    /** The host is about to run {@code command} on {@code channel}. */
    void started(Channel channel, String command) {
        update(channel, c -> new ServedChannel(command, c.opened(), ++clock, c.closed()));
    }

    List<ServedChannel> served() {
        synchronized (lock) {
            return List.copyOf(served);
        }
    }

    /** Forgets the channels served so far; those still open are followed no more. */
    void clear() {
        synchronized (lock) {
            served.clear();
            index.clear();
        }
    }

    private void update(Channel channel, UnaryOperator<ServedChannel> change) {
        synchronized (lock) {
            Integer at = index.get(channel);
            if (at != null) {
                served.set(at, change.apply(served.get(at)));
            }
        }
    }
}
