package dev.capstan.event;

import dev.capstan.Server;
import dev.capstan.transport.Stream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Everything the engine and transports report. The engine never prints: it emits events, and
 * formatters decide what a person or a machine sees. Every event carries the instant it happened.
 */
public sealed interface Event {

    Instant at();

    /** Severity of a {@link Log} event. */
    enum Level { ERROR, WARN, INFO, DEBUG, TRACE }

    /** A message that is not tied to a command: progress notes, warnings, debug detail. */
    record Log(Instant at, Level level, String task, String message) implements Event { }

    /**
     * A task invocation begins; {@code depth} is 0 for tasks named on the command line; {@code block} names
     * the parallelize block it runs in ({@code "<parallelize id>.<block>"}), or is null.
     */
    record TaskStarted(Instant at, String task, int depth, List<Server> servers, String block) implements Event {
        public TaskStarted(Instant at, String task, int depth, List<Server> servers) {
            this(at, task, depth, servers, null);
        }
    }

    /** A task invocation ended, successfully or not. */
    record TaskFinished(Instant at, String task, int depth, Duration duration, boolean succeeded, String failure)
            implements Event { }

    /**
     * A command starts on the named servers at once; {@code id} ties its output and ends together. A
     * {@code checked} command fails on a non-zero exit; an unchecked one ({@code test}) only answers no.
     * {@code block} names the parallelize block it runs in, or is null.
     */
    record CommandStarted(Instant at, long id, String task, String line, List<Server> servers, boolean checked, String block)
            implements Event {
        public CommandStarted(Instant at, long id, String task, String line, List<Server> servers) {
            this(at, id, task, line, servers, true, null);
        }
    }

    /** One whole line of a command's output on one server. */
    record OutputLine(Instant at, long id, Server server, Stream stream, String line) implements Event { }

    /** A command ended on one server with an exit status. */
    record CommandFinished(Instant at, long id, Server server, int exitStatus, Duration duration) implements Event { }

    /** A command could not run or finish on one server (unreachable, connection lost, timed out). */
    record CommandFailed(Instant at, long id, Server server, String reason, Duration duration) implements Event { }

    /** Under {@code onError(CONTINUE)}, servers on which a command failed are dropped for the rest of the task. */
    record HostsDropped(Instant at, String task, List<Server> servers, String reason) implements Event { }

    /** Bytes moved by an upload or download. */
    record TransferProgress(Instant at, Server server, String path, long done, long total) implements Event { }

    /** An SSH connection to a server is open and authenticated. */
    record ConnectionOpened(Instant at, Server server, Duration took) implements Event { }

    /** A transaction is being rolled back because of {@code cause}. */
    record RollbackStarted(Instant at, String task, String cause, int handlers) implements Event { }

    /** One rollback handler ran, with the servers of the task that registered it. */
    record RollbackStep(Instant at, String task, List<Server> servers, boolean succeeded, String failure) implements Event { }

    /** A rollback ended; {@code failed} handlers threw and were reported. */
    record RollbackFinished(Instant at, String task, int handlers, int failed) implements Event { }

    /** {@code parallelize} starts {@code blocks} blocks, at most {@code chunkSize} at once. */
    record ParallelizeStarted(Instant at, long id, String task, int blocks, int chunkSize, boolean slidingWindow) implements Event { }

    /** A chunk of blocks starts ({@code chunk} counts from 1). */
    record ChunkStarted(Instant at, long id, int chunk, int chunks, int blocks) implements Event { }

    /** A block starts on its own thread. */
    record BlockStarted(Instant at, long id, int block, String name) implements Event { }

    /** A block ended; {@code failure} is null when it succeeded. */
    record BlockFinished(Instant at, long id, int block, String name, Duration duration, String failure) implements Event { }

    /** A block's rollback handlers are about to run. */
    record BlockRollback(Instant at, long id, int block, String name, int handlers) implements Event { }

    /** {@code parallelize} ended. */
    record ParallelizeFinished(Instant at, long id, int succeeded, int failed, int notStarted) implements Event { }
}
