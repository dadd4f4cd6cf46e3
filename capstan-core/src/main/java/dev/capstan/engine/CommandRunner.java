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
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Runs commands on many servers at once and reports them: a start event per distinct command line naming
 * its servers, each output line, and an end (exit status and duration, or why it failed) per server.
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

    /** Where a command comes from, for its start event: the task, the parallelize block, whether it is checked. */
    record Origin(String task, String block, boolean checked) {
        Origin unchecked() {
            return new Origin(task, block, false);
        }
    }

    /**
     * Runs every job at once (each on its own channel), in batches of {@code maxHosts} servers when that is positive
     * (all of a server's jobs in one batch); jobs with the same command line are reported as one command on several
     * servers. As in Capistrano, a batch in which an outcome {@code stops} is the last: later batches do not run.
     */
    List<ServerFanout.Outcome<Job, CommandResult>> run(Origin origin, List<Job> jobs, int maxHosts,
            Predicate<ServerFanout.Outcome<Job, CommandResult>> stops) {
        List<ServerFanout.Outcome<Job, CommandResult>> all = new ArrayList<>();
        for (List<Job> batch : batches(jobs, Job::server, maxHosts)) {
            List<ServerFanout.Outcome<Job, CommandResult>> outcomes = runAtOnce(origin, batch, false);
            all.addAll(outcomes);
            if (outcomes.stream().anyMatch(stops)) {
                break;
            }
        }
        return all;
    }

    /** {@code items} in batches of at most {@code maxHosts} servers (all of them at once when it is not positive). */
    static <T> List<List<T>> batches(List<T> items, Function<T, Server> serverOf, int maxHosts) {
        Map<Server, List<T>> byServer = new LinkedHashMap<>();
        items.forEach(item -> byServer.computeIfAbsent(serverOf.apply(item), s -> new ArrayList<>()).add(item));
        List<List<T>> batches = new ArrayList<>();
        int servers = 0;
        for (List<T> ofServer : byServer.values()) {
            if (batches.isEmpty() || maxHosts > 0 && servers == maxHosts) {
                batches.add(new ArrayList<>());
                servers = 0;
            }
            batches.getLast().addAll(ofServer);
            servers++;
        }
        return batches;
    }

    /** A command on this machine, for {@code runLocally}. */
    ServerFanout.Outcome<Job, CommandResult> runLocal(Origin origin, Command command, Server localhost) {
        return runAtOnce(origin, List.of(new Job(localhost, command)), true).get(0);
    }

    private List<ServerFanout.Outcome<Job, CommandResult>> runAtOnce(Origin origin, List<Job> jobs, boolean local) {
        Map<String, List<Server>> byLine = new LinkedHashMap<>();
        jobs.forEach(j -> byLine.computeIfAbsent(j.command().line(), k -> new ArrayList<>()).add(j.server()));
        Map<String, Long> idOf = new LinkedHashMap<>();
        byLine.forEach((line, servers) -> {
            long id = ids.incrementAndGet();
            idOf.put(line, id);
            events.emit(new Event.CommandStarted(Instant.now(), id, origin.task(), line, servers, origin.checked(), origin.block()));
        });
        return ServerFanout.run(jobs, job -> finish(idOf.get(job.command().line()), job.server(), (server, id) -> {
            Transport transport = local ? transports.local() : transports.forServer(server);
            return transport.execute(server, job.command(),
                    (s, stream, line) -> events.emit(new Event.OutputLine(Instant.now(), id, s, stream, line)));
        }));
    }

    /**
     * Something done on every server at once, reported as one step named {@code display}, in batches of
     * {@code maxHosts} servers as {@link #run} does, stopping after a batch in which an outcome {@code stops}.
     */
    List<ServerFanout.Outcome<Server, CommandResult>> step(Origin origin, String display, List<Server> servers, int maxHosts,
            Predicate<ServerFanout.Outcome<Server, CommandResult>> stops, StepAction action) {
        List<ServerFanout.Outcome<Server, CommandResult>> all = new ArrayList<>();
        for (List<Server> batch : batches(servers, server -> server, maxHosts)) {
            long id = ids.incrementAndGet();
            events.emit(new Event.CommandStarted(Instant.now(), id, origin.task(), display, batch, origin.checked(), origin.block()));
            List<ServerFanout.Outcome<Server, CommandResult>> outcomes = ServerFanout.run(batch, server -> finish(id, server, action));
            all.addAll(outcomes);
            if (outcomes.stream().anyMatch(stops)) {
                break;
            }
        }
        return all;
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
}
