package dev.capstan.cli.output;

import java.time.Duration;

/**
 * Calls {@code tick} every interval on a virtual thread (a daemon: it never keeps the JVM alive) until
 * closed, so that the status line's elapsed time moves even when no event arrives.
 */
final class StatusTicker implements AutoCloseable {
    static final Duration INTERVAL = Duration.ofMillis(100);

    private final Thread thread;
    private volatile boolean stopped;

    private StatusTicker(Runnable tick) {
        thread = Thread.ofVirtual().name("capstan-status").unstarted(() -> {
            while (!stopped) {
                try {
                    Thread.sleep(INTERVAL);
                } catch (InterruptedException e) {
                    return;
                }
                if (!stopped) {
                    tick.run();
                }
            }
        });
    }

    static StatusTicker start(Runnable tick) {
        StatusTicker ticker = new StatusTicker(tick);
        ticker.thread.start();
        return ticker;
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
    }
}
