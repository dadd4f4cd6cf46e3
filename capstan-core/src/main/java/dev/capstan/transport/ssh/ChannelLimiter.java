package dev.capstan.transport.ssh;

/**
 * How many channels one connection may have open at once: at most {@code max_sessions}, and less while the server
 * refuses opens. OpenSSH refuses some opens even below its MaxSessions when channels churn (it frees a slot a little
 * after the client sees the channel close), so the limit adapts: a refusal lowers it to the number of channels the
 * server did accept, every successful open raises it by {@code 1/limit} (about one per round of opens).
 *
 * <p>Not thread-safe: the owning {@link HostConnections} calls it under its lock.
 */
final class ChannelLimiter {

    private final int max;
    private double limit;
    private int inUse;

    ChannelLimiter(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1: " + max);
        }
        this.max = max;
        this.limit = max;
    }

    /** Takes a slot if one is free under the current limit. */
    boolean tryAcquire() {
        if (inUse < (int) limit) {
            inUse++;
            return true;
        }
        return false;
    }

    /** Gives a slot back: its channel closed, or its open failed. */
    void release() {
        if (inUse == 0) {
            throw new IllegalStateException("release without acquire");
        }
        inUse--;
    }

    /** The server accepted a channel: additive increase. */
    void opened() {
        limit = Math.min(max, limit + 1.0 / limit);
    }

    /** The server refused a channel (its slot already released): the channels still open are all it takes now. */
    void refused() {
        limit = Math.max(1, Math.min(limit, inUse));
    }

    int inUse() {
        return inUse;
    }

    int limit() {
        return (int) limit;
    }

    @Override
    public String toString() {
        return inUse + "/" + limit() + " channels (max " + max + ")";
    }
}
