package dev.capstan.engine;

import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Runs rollback handlers: latest first, each at most once, each in the context (and so with the servers)
 * of the task invocation that registered it. A failing handler is reported and the next one still runs.
 */
final class Rollbacks {
    private final EventSink events;
    /** Rollbacks (and other shielded work) under way, on any thread; with {@link #cancelDeferred}, under this. */
    private int running;
    /** A Ctrl-C that came while a rollback ran, for the rollback to pass on once it is done. */
    private boolean cancelDeferred;

    /** Interrupts the run's main thread: what a Ctrl-C deferred during a rollback does once that is done. */
    private final Runnable cancelRun;

    Rollbacks(EventSink events, Runnable cancelRun) {
        this.events = events;
        this.cancelRun = cancelRun;
    }

    /**
     * For {@link Engine#cancel()}: whether a rollback (or other {@link #shielded} work) is under way, so that the cancel
     * waits for it instead of interrupting its handlers (a first Ctrl-C during a rollback cut the running handler short
     * and failed the rest).
     */
    synchronized boolean deferCancel() {
        // one step with the end of the work: a cancel that came just as it ended is either passed on or not deferred
        if (running == 0) {
            return false;
        }
        cancelDeferred = true;
        return true;
    }

    /** What a rollback came to: handlers run, and how many of those failed. */
    record Outcome(int ran, int failed) {
        static final Outcome NONE = new Outcome(0, 0);

        Outcome plus(Outcome other) {
            return new Outcome(ran + other.ran, failed + other.failed);
        }
    }

    /** Rolls back {@code entries} (given in registration order) because of {@code cause}. */
    Outcome rollBack(String task, List<Journal.Entry> entries, Throwable cause) {
        List<Journal.Entry> reversed = new ArrayList<>(entries);
        Collections.reverse(reversed);
        long pending = reversed.stream().filter(e -> !e.done().get()).count();
        if (pending == 0) {
            return Outcome.NONE;
        }
        // A rollback must finish even when Ctrl-C interrupted the task
        return shielded(() -> {
            events.emit(new Event.RollbackStarted(Instant.now(), task, firstLine(cause), (int) pending));
            int ran = 0;
            int failed = 0;
            try {
                for (Journal.Entry entry : reversed) {
                    if (!entry.claim()) {
                        continue;
                    }
                    ran++;
                    String owner = entry.owner().task();
                    try {
                        entry.handler().run();
                        events.emit(new Event.RollbackStep(Instant.now(), owner, entry.owner().servers(), true, null));
                    } catch (Exception | Error e) {
                        failed++;
                        events.emit(new Event.RollbackStep(Instant.now(), owner, entry.owner().servers(), false, firstLine(e)));
                    } finally {
                        entry.finished().set(true);
                    }
                }
            } finally {
                events.emit(new Event.RollbackFinished(Instant.now(), task, ran, failed));
            }
            return new Outcome(ran, failed);
        });
    }

    /**
     * Runs {@code work} with this thread's interrupt cleared and a cancel meanwhile deferred (see {@link #deferCancel});
     * afterwards the interrupt is put back, and a deferred cancel stops the run.
     */
    <T> T shielded(java.util.function.Supplier<T> work) {
        synchronized (this) {
            running++;
        }
        boolean interrupted = Thread.interrupted();
        try {
            return work.get();
        } finally {
            boolean deferred;
            synchronized (this) {
                running--;
                deferred = running == 0 && cancelDeferred;
                if (deferred) {
                    cancelDeferred = false;
                }
            }
            if (interrupted || deferred) {
                Thread.currentThread().interrupt();
            }
            if (deferred) {
                cancelRun.run(); // the work may have run on a block's thread: the run itself stops too
            }
        }
    }

    static String firstLine(Throwable t) {
        if (t == null) {
            return "";
        }
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return message.lines().findFirst().orElse(message);
    }
}
