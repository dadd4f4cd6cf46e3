package dev.capstan.testkit.fleet;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;

import org.apache.sshd.common.io.IoHandler;
import org.apache.sshd.common.io.IoSession;
import org.apache.sshd.common.util.Readable;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * Simulates a WAN between every client and the fleet: a one-way delay on every message in both directions, so a round
 * trip costs twice the delay. It sits between MINA's transport and the SSH layer: inbound bytes (and the close and
 * error events that follow them) reach the SSH session only after the delay, outbound writes go on the wire only
 * after it ({@link DelayedIoSession}), and each direction keeps its order ({@link DelayLane}). No proxy, no extra
 * socket, no thread per connection: one timer thread for the whole fleet, and short-lived virtual threads to run what
 * comes due.
 *
 * <p>Not simulated: TCP's own handshake (a client's connect completes at once), bandwidth limits, and loss.
 */
final class LatencyInjector implements AutoCloseable {

    private static final Object DELAYED = new Object();

    private final long delayNanos;
    private final ScheduledThreadPoolExecutor timer;
    private final ExecutorService workers;

    LatencyInjector(Duration oneWay) {
        this.delayNanos = oneWay.toNanos();
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "capstan-fleet-latency");
            t.setDaemon(true);
            return t;
        });
        this.timer.setRemoveOnCancelPolicy(true);
        this.workers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("capstan-fleet-wire-", 0).factory());
    }

    /** @return {@code handler} with every message and event delayed */
    IoHandler wrap(IoHandler handler) {
        return new IoHandler() {
            @Override
            public void sessionCreated(IoSession session) throws Exception {
                DelayedIoSession delayed = new DelayedIoSession(session, lane(), lane());
                session.setAttribute(DELAYED, delayed);
                handler.sessionCreated(delayed); // the accept itself: the server's greeting then waits in the lane
            }

            @Override
            public void sessionClosed(IoSession session) {
                DelayedIoSession delayed = delayed(session);
                if (delayed != null) {
                    delayed.inbound.submit(() -> quietly(() -> handler.sessionClosed(delayed)));
                }
            }

            @Override
            public void exceptionCaught(IoSession session, Throwable cause) {
                DelayedIoSession delayed = delayed(session);
                if (delayed != null) {
                    delayed.inbound.submit(() -> quietly(() -> handler.exceptionCaught(delayed, cause)));
                }
            }

            @Override
            public void messageReceived(IoSession session, Readable message) {
                DelayedIoSession delayed = delayed(session);
                if (delayed == null) {
                    return;
                }
                // MINA reuses its read buffer as soon as this returns: keep a copy for later
                byte[] bytes = new byte[message.available()];
                message.getRawBytes(bytes, 0, bytes.length);
                delayed.inbound.submit(() -> {
                    try {
                        handler.messageReceived(delayed, new ByteArrayBuffer(bytes));
                    } catch (Throwable t) {
                        // what MINA's transport does when the SSH layer rejects input: report it, which closes
                        quietly(() -> handler.exceptionCaught(delayed, t));
                        session.close(true);
                    }
                });
            }
        };
    }

    private DelayLane lane() {
        return new DelayLane(delayNanos, timer, workers);
    }

    private static DelayedIoSession delayed(IoSession session) {
        return (DelayedIoSession) session.getAttribute(DELAYED);
    }

    private interface Action {
        void run() throws Exception;
    }

    private static void quietly(Action action) {
        try {
            action.run();
        } catch (Exception e) {
            // the SSH layer has reported and handled it (closing the session) already
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        workers.shutdownNow();
    }
}
