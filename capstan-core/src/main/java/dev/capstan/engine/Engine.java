package dev.capstan.engine;

import dev.capstan.CancelledException;
import dev.capstan.CapstanException;
import dev.capstan.Server;
import dev.capstan.TaskBody;
import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import dev.capstan.event.SecretMasking;
import dev.capstan.model.Callback;
import dev.capstan.model.Configuration;
import dev.capstan.model.TaskDefinition;
import dev.capstan.model.TaskSpec;
import dev.capstan.transport.TransferListener;
import dev.capstan.transport.Transport;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Runs tasks: resolves names, fires callbacks, selects servers, and hands commands to transports. It
 * never prints: everything it does is reported as {@link Event}s to the sink it was given.
 *
 * <pre>{@code
 * try (Engine engine = new Engine(config, RunOptions.DEFAULT, () -> new SshTransport(...), events)) {
 *     engine.run(List.of("deploy"));
 * }
 * }</pre>
 */
public final class Engine implements AutoCloseable {
    private static final int MAX_DEPTH = 64;

    private final Configuration config;
    private final RunOptions options;
    private final TransportRouter transports;
    private final SecretMasking events;
    private final AtomicLong ids = new AtomicLong();
    private final HostSelector hostSelector;
    private final CommandRunner commands;
    private final Rollbacks rollbacks;
    private final Sudo sudo;
    private volatile Thread runner;
    private final java.util.Set<Journal> openJournals = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final List<Server> dropped = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** An engine that has no one to ask for secrets (a sudo password must then be in {@code sudo_password}). */
    public Engine(Configuration config, RunOptions options, Supplier<Transport> remote, EventSink sink) {
        this(config, options, remote, sink, SecretPrompt.NONE);
    }

    /**
     * @param remote  creates the transport for remote servers, on first use only
     * @param sink    receives every event, with secrets already masked
     * @param secrets asks for secrets such as the sudo password when no variable holds them
     */
    public Engine(Configuration config, RunOptions options, Supplier<Transport> remote, EventSink sink, SecretPrompt secrets) {
        this.config = config;
        this.sudo = new Sudo(config.variables(), secrets);
        this.options = options;
        this.transports = new TransportRouter(options.dryRun(), remote);
        this.events = new SecretMasking(sink, config.variables()::secretValues);
        this.hostSelector = new HostSelector(config, options);
        this.commands = new CommandRunner(transports, events, ids);
        this.rollbacks = new Rollbacks(events, this::interruptRunner);
    }

    /**
     * Runs the named tasks one after the other, each with its start and finish callbacks. Every name is
     * checked before anything runs.
     */
    public void run(List<String> names) {
        List<TaskDefinition> tasks = names.stream().map(n -> config.require(n, "")).toList();
        warnOfUndeclaredHosts();
        dropped.clear();
        runner = Thread.currentThread();
        try {
            for (TaskDefinition task : tasks) {
                runCallbacks(config.onStart(), task, null);
                invoke(task, null);
                runCallbacks(config.onFinish(), task, null);
            }
        } finally {
            runner = null;
        }
        if (!dropped.isEmpty()) {
            // the tasks went on without them, as asked; the run did not succeed on them, and says so
            List<String> labels = dropped.stream().map(Server::label).distinct().toList();
            throw new CapstanException("the run went on without " + labels.size() + (labels.size() == 1 ? " host" : " hosts")
                    + " that failed under onError(CONTINUE): " + String.join(", ", labels));
        }
    }

    /** Servers a task went on without ({@code onError(CONTINUE)}), in the order they failed. */
    void dropped(List<Server> servers) {
        dropped.addAll(servers);
    }

    /** Runs one ad hoc command on the selected servers ({@code capstan exec}), with sudo when {@code sudo}. */
    public void exec(String command, boolean sudo) {
        TaskBody body = sudo ? ctx -> ctx.sudo(command) : ctx -> ctx.run(command);
        TaskDefinition adhoc = new TaskDefinition("exec", null, TaskSpec.DEFAULT, body, "command line", null);
        warnOfUndeclaredHosts();
        runner = Thread.currentThread();
        try {
            invoke(adhoc, null);
        } finally {
            runner = null;
        }
    }

    /**
     * Interrupts the running tasks (Ctrl-C): commands end, open transactions roll back. While a rollback runs nothing
     * is interrupted: the rollback is what Ctrl-C asks for, and it finishes; the interrupt comes when it has
     * ({@link Rollbacks}).
     */
    public void cancel() {
        if (rollbacks.deferCancel()) {
            return;
        }
        interruptRunner();
    }

    private void interruptRunner() {
        Thread current = runner;
        if (current != null) {
            current.interrupt();
        }
    }

    /**
     * The rollback handlers of open transactions that have not run to their end, as "task on hosts" lines (marked
     * when one was running): what a second Ctrl-C, which aborts at once, leaves undone.
     */
    public List<String> pendingRollbacks() {
        List<String> pending = new ArrayList<>();
        for (Journal journal : openJournals) {
            for (Journal.Entry entry : journal.snapshot(0)) {
                if (!entry.finished().get()) {
                    pending.add(entry.owner().task() + " on " + String.join(", ",
                            entry.owner().servers().stream().map(Server::label).toList())
                            + (entry.done().get() ? " (was running)" : ""));
                }
            }
        }
        return pending;
    }

    void opened(Journal journal) {
        openJournals.add(journal);
    }

    void closed(Journal journal) {
        openJournals.remove(journal);
    }

    /** {@code text} with every secret value masked, for error messages printed outside events. */
    public String mask(String text) {
        return events.mask(text);
    }

    void invoke(TaskDefinition task, ExecutionContext caller) {
        int depth = caller == null ? 0 : caller.depth() + 1;
        if (depth > MAX_DEPTH) {
            throw new CapstanException("task " + task.name() + " is nested " + MAX_DEPTH + " deep: does a task invoke itself?");
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new CancelledException("interrupted before " + task.name());
        }
        runCallbacks(callbacks(task, true), task, caller);
        List<Server> targets = hostSelector.select(task.spec());
        if (targets.isEmpty() && task.spec().skipWhenNoServers()) {
            log(Event.Level.INFO, task.name(), "skipped: no servers match (" + hostSelector.describe(task.spec()) + ")");
            return;
        }
        ExecutionContext context = new ExecutionContext(this, task, caller, depth, targets);
        emit(new Event.TaskStarted(Instant.now(), task.name(), depth, targets, context.block()));
        long started = System.nanoTime();
        try {
            if (task.spec().rolling() != null && targets.size() > task.spec().rolling().groupSize()) {
                runRolling(task, context, targets);
            } else {
                runBody(task.body(), context);
            }
        } catch (RuntimeException | Error e) {
            emit(new Event.TaskFinished(Instant.now(), task.name(), depth, Duration.ofNanos(System.nanoTime() - started), false,
                    Rollbacks.firstLine(e)));
            context.noteFailure(task.name(), targets);
            throw e;
        }
        emit(new Event.TaskFinished(Instant.now(), task.name(), depth, Duration.ofNanos(System.nanoTime() - started), true, null));
        runCallbacks(callbacks(task, false), task, caller);
    }

    /** Runs the body group after group of servers, pausing between groups. */
    private void runRolling(TaskDefinition task, ExecutionContext context, List<Server> targets) {
        int size = task.spec().rolling().groupSize();
        Duration wait = task.spec().rolling().pause();
        for (int from = 0; from < targets.size(); from += size) {
            List<Server> group = targets.subList(from, Math.min(targets.size(), from + size));
            if (from > 0 && !wait.isZero()) {
                log(Event.Level.INFO, task.name(), "waiting " + wait.toMillis() + " ms before the next group");
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CancelledException("interrupted during " + task.name());
                }
            }
            log(Event.Level.INFO, task.name(), "group " + (from / size + 1) + ": "
                    + String.join(", ", group.stream().map(Server::label).toList()));
            ExecutionContext inGroup = context.forServers(group);
            runBody(task.body(), inGroup);
            if (inGroup.servers().isEmpty()) {
                // onError(CONTINUE) goes on without failed servers, not on to break the next group too (nor does
                // Ansible's serial: a batch that failed whole ends the play)
                throw new CapstanException("every server of group " + (from / size + 1) + " of task " + task.name()
                        + " failed (onError(CONTINUE)): the groups after it were not started");
            }
        }
    }

    private static void runBody(TaskBody body, ExecutionContext context) {
        try {
            body.run(context);
        } catch (RuntimeException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancelledException("interrupted during " + context.task());
        } catch (Exception e) {
            throw new CapstanException(context.task() + ": " + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    private List<Callback> callbacks(TaskDefinition task, boolean before) {
        String[] names = task.name().endsWith(":default") ? new String[] {task.name(), task.namespace()} : new String[] {task.name()};
        return before ? config.callbacksBefore(names) : config.callbacksAfter(names);
    }

    private void runCallbacks(List<Callback> callbacks, TaskDefinition around, ExecutionContext caller) {
        for (Callback callback : callbacks) {
            switch (callback) {
                case Callback.Task named -> invoke(config.require(named.name(), ""), caller);
                case Callback.Body inline -> runBody(inline.body(), new ExecutionContext(this, around, caller,
                        caller == null ? 0 : caller.depth() + 1, hostSelector.select(around.spec())));
            }
        }
    }

    // ---- services for contexts -------------------------------------------------------------

    Configuration configuration() {
        return config;
    }

    RunOptions options() {
        return options;
    }

    TransportRouter transports() {
        return transports;
    }

    HostSelector hostSelector() {
        return hostSelector;
    }

    CommandRunner commands() {
        return commands;
    }

    Sudo sudo() {
        return sudo;
    }

    Rollbacks rollbacks() {
        return rollbacks;
    }

    long nextId() {
        return ids.incrementAndGet();
    }

    void emit(Event event) {
        events.emit(event);
    }

    /**
     * {@code --hosts} names a host the recipe does not declare: capstan runs on it as given, as Capistrano's HOSTS
     * does, which is what a typo does too; said once, before anything runs.
     */
    private void warnOfUndeclaredHosts() {
        for (String host : hostSelector.undeclared()) {
            log(Event.Level.WARN, "", "--hosts " + host + ": not one of the recipe's servers; running on it as given");
        }
    }

    void log(Event.Level level, String task, String message) {
        events.emit(new Event.Log(Instant.now(), level, task, message));
    }

    TransferListener progress() {
        return (server, path, done, total) -> events.emit(new Event.TransferProgress(Instant.now(), server, path, done, total));
    }

    @Override
    public void close() {
        transports.close();
    }
}
