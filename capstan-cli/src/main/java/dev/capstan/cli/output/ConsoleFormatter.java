package dev.capstan.cli.output;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import dev.capstan.transport.Stream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Renders events for a person: task headers by nesting, each command with its hosts, every output line
 * prefixed with its padded host name, failures and rollbacks unmistakable. One event is written whole
 * before the next, so lines of different hosts never mix within a line.
 */
public final class ConsoleFormatter implements EventSink {

    /** How much to show. */
    public enum Verbosity { QUIET, NORMAL, VERBOSE, DEBUG }

    private final PrintStream out;
    private final Verbosity verbosity;
    private final boolean dryRun;
    private final Map<Long, Integer> hostWidth = new ConcurrentHashMap<>();

    public ConsoleFormatter(PrintStream out, Verbosity verbosity, boolean dryRun) {
        this.out = out;
        this.verbosity = verbosity;
        this.dryRun = dryRun;
    }

    @Override
    public synchronized void emit(Event event) {
        String text = render(event);
        if (text != null) {
            out.println(text);
            out.flush();
        }
    }

    private boolean shows(Verbosity level) {
        return verbosity.compareTo(level) >= 0;
    }

    String render(Event event) {
        return switch (event) {
            case Event.TaskStarted e -> shows(Verbosity.NORMAL)
                    ? indent(e.depth()) + "* " + e.task() + (e.servers().isEmpty() ? "" : "  (" + hosts(e.servers()) + ")") : null;
            case Event.TaskFinished e -> e.succeeded()
                    ? (shows(Verbosity.VERBOSE) ? indent(e.depth()) + "  " + e.task() + " done in " + format(e.duration()) : null)
                    : indent(e.depth()) + "x " + e.task() + " failed after " + format(e.duration());
            case Event.CommandStarted e -> {
                hostWidth.put(e.id(), e.servers().stream().mapToInt(s -> s.label().length()).max().orElse(0));
                yield shows(Verbosity.NORMAL)
                        ? "    " + (dryRun ? "would run" : "$") + " " + e.line() + "  [" + hosts(e.servers()) + "]" : null;
            }
            case Event.OutputLine e -> shows(Verbosity.NORMAL)
                    ? "      " + pad(e.server().label(), hostWidth.getOrDefault(e.id(), 0))
                    + (e.stream() == Stream.STDERR ? " ! " : " | ") + e.line() : null;
            case Event.CommandFinished e -> e.exitStatus() != 0
                    ? "      " + pad(e.server().label(), hostWidth.getOrDefault(e.id(), 0)) + " x exit status " + e.exitStatus()
                    + " (" + format(e.duration()) + ")"
                    : shows(Verbosity.VERBOSE) ? "      " + pad(e.server().label(), hostWidth.getOrDefault(e.id(), 0))
                    + " ok (" + format(e.duration()) + ")" : null;
            case Event.CommandFailed e -> "      " + pad(e.server().label(), hostWidth.getOrDefault(e.id(), 0)) + " x " + e.reason();
            case Event.Log e -> switch (e.level()) {
                case ERROR -> "error: " + e.message();
                case WARN -> "warning: " + e.message();
                case INFO -> shows(Verbosity.NORMAL) ? "    " + e.message() : null;
                case DEBUG -> shows(Verbosity.VERBOSE) ? "    debug: " + e.message() : null;
                case TRACE -> shows(Verbosity.DEBUG) ? "    trace: " + e.message() : null;
            };
            case Event.RollbackStarted e -> "!! ROLLBACK of " + e.task() + " (" + e.handlers() + " handler"
                    + (e.handlers() == 1 ? "" : "s") + "): " + e.cause();
            case Event.RollbackStep e -> e.succeeded()
                    ? "!!   rolled back " + e.task() + (e.servers().isEmpty() ? "" : " on " + hosts(e.servers()))
                    : "!!   rollback handler of " + e.task() + " FAILED: " + e.failure();
            case Event.RollbackFinished e -> "!! rollback finished: " + e.handlers() + " handler" + (e.handlers() == 1 ? "" : "s")
                    + (e.failed() > 0 ? ", " + e.failed() + " failed" : "");
            case Event.ParallelizeStarted e -> null;
            case Event.ChunkStarted e -> null;
            case Event.BlockStarted e -> shows(Verbosity.VERBOSE) ? "    [" + e.name() + "] started" : null;
            case Event.BlockFinished e -> e.failure() != null ? "    [" + e.name() + "] failed: " + e.failure()
                    : shows(Verbosity.VERBOSE) ? "    [" + e.name() + "] done in " + format(e.duration()) : null;
            case Event.BlockRollback e -> "!! rolling back " + e.name() + " (" + e.handlers() + " handler" + (e.handlers() == 1 ? "" : "s") + ")";
            case Event.ParallelizeFinished e -> e.failed() > 0 || e.notStarted() > 0
                    ? "    parallelize: " + e.succeeded() + " succeeded, " + e.failed() + " failed, " + e.notStarted() + " not started" : null;
            case Event.TransferProgress e -> null;
            case Event.ConnectionOpened e -> shows(Verbosity.DEBUG) ? "    connected to " + e.server().label() + " in " + format(e.took()) : null;
        };
    }

    private static String indent(int depth) {
        return "  ".repeat(depth);
    }

    private static String hosts(List<Server> servers) {
        return String.join(", ", servers.stream().map(Server::label).toList());
    }

    private static String pad(String label, int width) {
        return label.length() >= width ? label : label + " ".repeat(width - label.length());
    }

    static String format(Duration d) {
        long ms = d.toMillis();
        return ms < 1000 ? ms + " ms" : String.format("%.1f s", ms / 1000.0);
    }
}
