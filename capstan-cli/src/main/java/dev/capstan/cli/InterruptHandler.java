package dev.capstan.cli;

import dev.capstan.engine.Engine;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C (sun.misc.Signal, because the JDK has no public API that lets a program go on after SIGINT):
 * the first interrupts the running tasks, so that open transactions roll back and capstan exits 1;
 * the second aborts at once.
 */
final class InterruptHandler implements AutoCloseable {
    private static final Signal INT = new Signal("INT");

    private final SignalHandler previous;

    private InterruptHandler(SignalHandler previous) {
        this.previous = previous;
    }

    static InterruptHandler install(Engine engine, PrintStream err) {
        AtomicInteger count = new AtomicInteger();
        SignalHandler previous = Signal.handle(INT, signal -> {
            if (count.incrementAndGet() == 1) {
                err.println();
                err.println("capstan: interrupted: stopping commands and rolling back open transactions (Ctrl-C again to abort at once)");
                engine.cancel();
            } else {
                java.util.List<String> pending = engine.pendingRollbacks();
                err.println("capstan: aborted at once" + (pending.isEmpty() ? "; no rollback was pending"
                        : "; these rollback handlers did NOT run (check those servers):"));
                pending.forEach(p -> err.println("  not rolled back: " + p));
                err.flush();
                Runtime.getRuntime().halt(1);
            }
        });
        return new InterruptHandler(previous);
    }

    @Override
    public void close() {
        Signal.handle(INT, previous);
    }
}
