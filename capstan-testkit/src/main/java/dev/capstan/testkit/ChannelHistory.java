package dev.capstan.testkit;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
    /** Channels whose command has sent output. */
    private final Set<Channel> answered = Collections.newSetFromMap(new IdentityHashMap<>());
    private long clock;

    @Override
    public void channelOpenSuccess(Channel channel) {
        if (channel instanceof ChannelSession) {
            synchronized (lock) {
                index.put(channel, served.size());
                served.add(new ServedChannel(null, ++clock, 0, 0, ""));
            }
        }
    }

    @Override
    public void channelClosed(Channel channel, Throwable reason) {
        synchronized (lock) {
            update(channel, c -> new ServedChannel(c.command(), c.opened(), c.started(), ++clock, c.earlyInput()));
            index.remove(channel);
            answered.remove(channel);
        }
    }

    /** The host is about to run {@code command} on {@code channel}. */
    void started(Channel channel, String command) {
        update(channel, c -> new ServedChannel(command, c.opened(), ++clock, c.closed(), c.earlyInput()));
    }

    /** The client sent {@code count} bytes to the stdin of the command on {@code channel}. */
    void input(Channel channel, byte[] bytes, int offset, int count) {
        synchronized (lock) {
            if (answered.contains(channel)) {
                return;
            }
            String text = new String(bytes, offset, count, StandardCharsets.UTF_8);
            update(channel, c -> new ServedChannel(c.command(), c.opened(), c.started(), c.closed(),
                    (c.earlyInput() + text).substring(0, Math.min(ServedChannel.EARLY_INPUT_LIMIT,
                            c.earlyInput().length() + text.length()))));
        }
    }

    /** The command on {@code channel} sent output back: stdin that arrives from now on is no longer early. */
    void output(Channel channel) {
        synchronized (lock) {
            answered.add(channel);
        }
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
            answered.clear();
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
