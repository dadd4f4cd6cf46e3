package dev.capstan.engine;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.Transport;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs commands on many servers at once and reports them: a start event naming the servers, each output
 * line, and an end (exit status and duration, or why it failed) per server.
 */
final class CommandRunner {
    private final TransportRouter transports;
    private final EventSink events;
    private final AtomicLong ids;

    /** Work for one server within a reported step; {@code id} tags the step's events. */
    @FunctionalInterface
    interface StepAction {
        CommandResult apply(Server server, long id) throws InterruptedException;
    }

    CommandRunner(TransportRouter transports, EventSink events, AtomicLong ids) {
        this.transports = transports;
        this.events = events;
        this.ids = ids;
    }

    /** One command on every server, in batches of {@code maxHosts} when that is positive. */
    List<ServerFanout.Outcome<Server, CommandResult>> run(String task, Command command, List<Server> servers, int maxHosts) {
        int batch = maxHosts > 0 ? maxHosts : Math.max(1, servers.size());
        List<ServerFanout.Outcome<Server, CommandResult>> all = new ArrayList<>();
        for (int from = 0; from < servers.size(); from += batch) {
            List<Server> slice = servers.subList(from, Math.min(servers.size(), from + batch));
            all.addAll(step(task, command.line(), slice,
                    (server, id) -> execute(server, id, command, transports.forServer(server))));
        }
        return all;
    }

    /** A command on this machine, for {@code runLocally}. */
    List<ServerFanout.Outcome<Server, CommandResult>> runLocal(String task, Command command, Server localhost) {
        return step(task, command.line(), List.of(localhost), (server, id) -> execute(server, id, command, transports.local()));
    }

    /** Different commands on different servers at once ({@code parallel}): each pair on its own channel. */
    List<ServerFanout.Outcome<ParallelPlan.Job, CommandResult>> runJobs(String task, List<ParallelPlan.Job> jobs) {
        Map<String, List<Server>> byCommand = new LinkedHashMap<>();
        jobs.forEach(j -> byCommand.computeIfAbsent(j.command(), k -> new ArrayList<>()).add(j.server()));
        Map<String, Long> idOf = new LinkedHashMap<>();
        byCommand.forEach((line, servers) -> {
            long id = ids.incrementAndGet();
            idOf.put(line, id);
            events.emit(new Event.CommandStarted(Instant.now(), id, task, line, servers));
        });
        return ServerFanout.run(jobs, job -> {
            long id = idOf.get(job.command());
            return finish(id, job.server(), (server, i) -> execute(server, i, Command.of(job.command()), transports.forServer(server)));
        });
    }

    /** Something done on every server at once, reported as one step named {@code display}. */
    List<ServerFanout.Outcome<Server, CommandResult>> step(String task, String display, List<Server> servers, StepAction action) {
        long id = ids.incrementAndGet();
        events.emit(new Event.CommandStarted(Instant.now(), id, task, display, servers));
        return ServerFanout.run(servers, server -> finish(id, server, action));
    }

    private CommandResult finish(long id, Server server, StepAction action) throws InterruptedException {
        long started = System.nanoTime();
        try {
            CommandResult result = action.apply(server, id);
            events.emit(new Event.CommandFinished(Instant.now(), id, server, result.exitStatus(), result.duration()));
            return result;
        } catch (RuntimeException e) {
            events.emit(new Event.CommandFailed(Instant.now(), id, server, String.valueOf(e.getMessage()),
                    Duration.ofNanos(System.nanoTime() - started)));
            throw e;
        } catch (InterruptedException e) {
            events.emit(new Event.CommandFailed(Instant.now(), id, server, "interrupted", Duration.ofNanos(System.nanoTime() - started)));
            throw e;
        }
    }

    private CommandResult execute(Server server, long id, Command command, Transport transport) throws InterruptedException {
        return transport.execute(server, command,
                (s, stream, line) -> events.emit(new Event.OutputLine(Instant.now(), id, s, stream, line)));
    }
}
