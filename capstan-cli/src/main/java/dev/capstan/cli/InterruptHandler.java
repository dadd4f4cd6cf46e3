package dev.capstan.cli;

import dev.capstan.engine.Engine;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C, SIGTERM and SIGHUP (sun.misc.Signal, because the JDK has no public API that lets a program go on after them):
 * the first interrupts the running tasks, so that open transactions roll back and capstan exits 1; a second one aborts
 * at once. SIGTERM is what a CI job's cancel, systemd and docker stop send, SIGHUP what a closed terminal or a dropped
 * SSH session to the machine running capstan sends; both deserve the rollback Ctrl-C gets. Under {@code nohup}, which
 * ignores SIGHUP, it stays ignored.
 */
final class InterruptHandler implements AutoCloseable {
    private static final Signal INT = new Signal("INT");
    private static final Signal TERM = new Signal("TERM");
    private static final Signal HUP = new Signal("HUP");
    /**
     * A second signal this soon after the first is the same request delivered twice: {@code timeout}, and shells that
     * signal a whole process group, send it to capstan and to the group capstan leads.
     */
    private static final long SAME_REQUEST_NANOS = 250_000_000L;

    private final SignalHandler previousInt;
    private final SignalHandler previousTerm;
    private final SignalHandler previousHup;

    private InterruptHandler(SignalHandler previousInt, SignalHandler previousTerm, SignalHandler previousHup) {
        this.previousInt = previousInt;
        this.previousTerm = previousTerm;
        this.previousHup = previousHup;
    }

    /**
     * For the whole process, before and after a run: a signal while no task runs (the recipe compiling, the summary
     * being written) ends capstan with exit status 1, as one during a run does, where the JVM's own handling would exit
     * 130 or 143. Nothing runs on any server then, so there is nothing to roll back. A run's own handler replaces this
     * one for its duration.
     */
    static void installForProcess(PrintStream err) {
        SignalHandler handler = signal -> {
            err.println();
            err.println("capstan: " + describe(signal) + " while no task was running; nothing to roll back");
            err.flush();
            System.exit(1);
        };
        handleAll(handler);
    }

    /**
     * Handles INT, TERM and HUP with {@code handler}, except a HUP ignored when capstan started (nohup: the user asked
     * to outlive the terminal). @return the handlers replaced: INT, TERM, HUP
     */
    private static SignalHandler[] handleAll(SignalHandler handler) {
        SignalHandler previousHup = Signal.handle(HUP, handler);
        if (previousHup == SignalHandler.SIG_IGN) {
            Signal.handle(HUP, SignalHandler.SIG_IGN);
        }
        return new SignalHandler[] {Signal.handle(INT, handler), Signal.handle(TERM, handler), previousHup};
    }

    private static String describe(Signal signal) {
        return switch (signal.getName()) {
            case "TERM" -> "terminated (SIGTERM)";
            case "HUP" -> "hung up (SIGHUP)";
            default -> "interrupted";
        };
    }

    static InterruptHandler install(Engine engine, PrintStream err) {
        TerminalQuestions.reset();
        AtomicLong firstAt = new AtomicLong(Long.MIN_VALUE);
        SignalHandler handler = signal -> {
            long now = System.nanoTime();
            if (firstAt.compareAndSet(Long.MIN_VALUE, now)) {
                err.println();
                err.println("capstan: " + describe(signal)
                        + ": stopping commands and rolling back open transactions (Ctrl-C again to abort at once)");
                if (TerminalQuestions.cancel()) {
                    err.println("capstan: press Enter to leave the open question; its answer is not used");
                }
                engine.cancel();
            } else if (now - firstAt.get() >= SAME_REQUEST_NANOS) {
                List<String> pending = engine.pendingRollbacks();
                err.println("capstan: aborted at once" + (pending.isEmpty() ? "; no rollback was pending"
                        : "; these rollback handlers did NOT run (check those servers):"));
                pending.forEach(p -> err.println("  not rolled back: " + engine.mask(p))); // a host may be a secret
                err.flush();
                TerminalQuestions.restoreEchoIfHidden();
                Runtime.getRuntime().halt(1);
            }
        };
        SignalHandler[] previous = handleAll(handler);
        return new InterruptHandler(previous[0], previous[1], previous[2]);
    }

    @Override
    public void close() {
        Signal.handle(INT, previousInt);
        Signal.handle(TERM, previousTerm);
        Signal.handle(HUP, previousHup);
    }
}
