package dev.capstan.engine;

import dev.capstan.TransactionBody;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Rollback handlers in registration order. Each handler runs at most once, whoever asks for it: a
 * block's own rollback, parallelize's rollback of every block, or the caller's transaction.
 */
final class Journal {

    /**
     * One handler and the task invocation that registered it.
     *
     * @param done     claimed: it runs, or has run
     * @param finished it has run to its end, well or not
     */
    record Entry(ExecutionContext owner, TransactionBody handler, AtomicBoolean done, AtomicBoolean finished) {
        /** Claims the entry; true for exactly one caller. */
        boolean claim() {
            return done.compareAndSet(false, true);
        }
    }

    private final List<Entry> entries = new ArrayList<>();
    private volatile boolean rolledBack;

    synchronized void add(ExecutionContext owner, TransactionBody handler) {
        entries.add(new Entry(owner, handler, new AtomicBoolean(), new AtomicBoolean()));
    }

    synchronized void addAll(Journal other) {
        entries.addAll(other.snapshot(0));
    }

    synchronized int size() {
        return entries.size();
    }

    /** The entries from index {@code from} on, in registration order. */
    synchronized List<Entry> snapshot(int from) {
        return List.copyOf(entries.subList(Math.min(from, entries.size()), entries.size()));
    }

    /** How many entries have not run yet. */
    synchronized int pending() {
        return (int) entries.stream().filter(e -> !e.done().get()).count();
    }

    /** Forgets every handler: what they would undo stays (a server dropped under {@code onError(CONTINUE)}). */
    synchronized void discard() {
        entries.clear();
    }

    void markRolledBack() {
        rolledBack = true;
    }

    boolean rolledBack() {
        return rolledBack;
    }
}
