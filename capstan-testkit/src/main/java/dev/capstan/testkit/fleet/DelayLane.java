package dev.capstan.testkit.fleet;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One direction of one connection on a simulated WAN: every action submitted runs a fixed delay later, and actions run
 * one at a time in the order they were submitted, as bytes on a TCP stream arrive in order. The delay being the same
 * for all, due times never decrease, so a plain FIFO queue with one timer wake-up per idle-to-busy transition is
 * enough; a wake-up runs everything that has come due, then re-arms for the next item, if any.
 */
final class DelayLane {

    private static final Logger LOG = LoggerFactory.getLogger(DelayLane.class);

    private record Item(long due, Runnable action) {
    }

    private final long delayNanos;
    private final ScheduledExecutorService timer;
    private final Executor worker;
    private final ArrayDeque<Item> queue = new ArrayDeque<>();
    private boolean armed; // guarded by this: a drain is scheduled or running

    /**
     * @param delayNanos how long every action waits
     * @param timer      wakes the lane up when its next action is due
     * @param worker     runs the actions (never on the timer thread, which serves all lanes)
     */
    DelayLane(long delayNanos, ScheduledExecutorService timer, Executor worker) {
        this.delayNanos = delayNanos;
        this.timer = timer;
        this.worker = worker;
    }

    void submit(Runnable action) {
        long due = System.nanoTime() + delayNanos;
        synchronized (this) {
            queue.add(new Item(due, action));
            if (armed) {
                return;
            }
            armed = true;
        }
        arm(due);
    }

    private void arm(long due) {
        long wait = due - System.nanoTime();
        try {
            timer.schedule(this::wake, Math.max(0, wait), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // the fleet is closing: what was still in flight is dropped, as on a cut line
        }
    }

    private void wake() {
        try {
            worker.execute(this::drain);
        } catch (RejectedExecutionException e) {
            // the fleet is closing
        }
    }

    private void drain() {
        while (true) {
            Item next;
            synchronized (this) {
                next = queue.peek();
                if (next == null) {
                    armed = false;
                    return;
                }
                if (next.due() - System.nanoTime() > 0) {
                    arm(next.due()); // stays armed
                    return;
                }
                queue.poll();
            }
            try {
                next.action().run();
            } catch (RuntimeException e) {
                LOG.debug("delayed action failed", e);
            }
        }
    }
}
