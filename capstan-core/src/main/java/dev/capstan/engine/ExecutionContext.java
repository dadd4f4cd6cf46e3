package dev.capstan.engine;

import dev.capstan.BlockBody;
import dev.capstan.Blocks;
import dev.capstan.CancelledException;
import dev.capstan.CapstanException;
import dev.capstan.CommandFailedException;
import dev.capstan.CommandFailedException.HostFailure;
import dev.capstan.CommandOptions;
import dev.capstan.ConfigException;
import dev.capstan.OnError;
import dev.capstan.ParallelBranches;
import dev.capstan.Server;
import dev.capstan.TaskContext;
import dev.capstan.TransactionBody;
import dev.capstan.TransferOptions;
import dev.capstan.event.Event;
import dev.capstan.model.Configuration;
import dev.capstan.model.TaskDefinition;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.TransportException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The {@link TaskContext} of one task invocation, or of one {@code parallelize} block. Contexts form a
 * chain through {@code parent}: an invoked task's context points at its caller's, a block's at the
 * context that called {@code parallelize}. The open transaction is found along that chain, so invoked
 * tasks and blocks join their caller's transaction without any thread-local state.
 */
final class ExecutionContext implements TaskContext {
    private final Engine engine;
    private final TaskDefinition task;
    private final ExecutionContext parent;
    private final int depth;
    private final List<Server> targets;
    /** Hosts dropped after a failure under {@code onError(CONTINUE)}; shared by the invocation. */
    private final Set<Server> failedHosts;
    /** An {@code eachServer} block's context: its commands run on its one server, and end the block when it fails. */
    private final boolean soleServer;
    /** Non-null for a parallelize block: where the block's rollback handlers are kept. */
    private final Journal blockJournal;
    /** Whether a block was started inside a caller's open transaction. */
    private final boolean blockInTransaction;
    /** For a block context: {@code "<parallelize id>.<block>"}, for events. */
    private final String blockName;
    private volatile Journal transaction;
    /** For a block context: the innermost task that failed inside the block, for the error report. */
    private final java.util.concurrent.atomic.AtomicReference<Failure> blockFailure = new java.util.concurrent.atomic.AtomicReference<>();

    /** Where inside a block a failure happened. */
    record Failure(String task, List<Server> servers) { }

    ExecutionContext(Engine engine, TaskDefinition task, ExecutionContext parent, int depth, List<Server> targets) {
        this(engine, task, parent, depth, targets, ConcurrentHashMap.newKeySet(), null, false, null, false);
    }

    private ExecutionContext(Engine engine, TaskDefinition task, ExecutionContext parent, int depth, List<Server> targets,
                             Set<Server> failedHosts, Journal blockJournal, boolean blockInTransaction, String blockName,
                             boolean soleServer) {
        this.engine = engine;
        this.task = task;
        this.parent = parent;
        this.depth = depth;
        this.targets = List.copyOf(targets);
        this.failedHosts = failedHosts;
        this.blockJournal = blockJournal;
        this.blockInTransaction = blockInTransaction;
        this.blockName = blockName;
        this.soleServer = soleServer;
    }

    /** A context for one parallelize block: the caller's task and servers, its own rollback journal. */
    ExecutionContext forBlock(Journal journal, String name) {
        return new ExecutionContext(engine, task, this, depth, targets, failedHosts, journal, openTransaction() != null, name,
                false);
    }

    /** A context for the same invocation restricted to some servers (rolling execution). */
    ExecutionContext forServers(List<Server> servers) {
        return new ExecutionContext(engine, task, parent, depth, servers, failedHosts, blockJournal, blockInTransaction,
                blockName, false);
    }

    /** A context for an {@code eachServer} block: the one server, for every command in it. */
    ExecutionContext forServer(Server server) {
        return new ExecutionContext(engine, task, parent, depth, List.of(server), failedHosts, blockJournal,
                blockInTransaction, blockName, true);
    }

    /** The parallelize block this context runs in ({@code "<parallelize id>.<block>"}), or null. */
    String block() {
        for (ExecutionContext c = this; c != null; c = c.parent) {
            if (c.blockName != null) {
                return c.blockName;
            }
        }
        return null;
    }

    private CommandRunner.Origin origin() {
        return new CommandRunner.Origin(task.name(), block(), true);
    }

    /** Records that {@code failedTask} failed; the innermost failure inside a block is kept. */
    void noteFailure(String failedTask, List<Server> servers) {
        for (ExecutionContext c = this; c != null; c = c.parent) {
            if (c.blockJournal != null) {
                c.blockFailure.compareAndSet(null, new Failure(failedTask, List.copyOf(servers)));
                return;
            }
        }
    }

    /** For a block context: the innermost failed task, or null. */
    Failure blockFailure() {
        return blockFailure.get();
    }

    TaskDefinition definition() {
        return task;
    }

    int depth() {
        return depth;
    }

    Engine engine() {
        return engine;
    }

    // ---- transactions ----------------------------------------------------------------------

    /** The journal of the open transaction this context belongs to, or null outside any transaction. */
    Journal openTransaction() {
        if (transaction != null) {
            return transaction;
        }
        if (blockJournal != null) {
            return blockInTransaction ? blockJournal : null;
        }
        return parent == null ? null : parent.openTransaction();
    }

    Journal nearestBlockJournal() {
        for (ExecutionContext c = this; c != null; c = c.parent) {
            if (c.blockJournal != null) {
                return c.blockJournal;
            }
        }
        return null;
    }

    @Override
    public void transaction(TransactionBody body) {
        if (openTransaction() != null) {
            runBody(body); // nested transactions join the outer one
            return;
        }
        Journal block = nearestBlockJournal();
        Journal journal = block != null ? block : new Journal();
        int mark = journal.size();
        transaction = journal;
        engine.opened(journal);
        try {
            runBody(body);
        } catch (ServerDropped e) {
            throw e; // the task goes on without the server, its work kept, as under onError(CONTINUE) elsewhere
        } catch (RuntimeException | Error e) {
            engine.rollbacks().rollBack(task.name(), journal.snapshot(mark), e);
            journal.markRolledBack();
            throw e;
        } finally {
            transaction = null;
            engine.closed(journal);
        }
    }

    @Override
    public void onRollback(TransactionBody handler) {
        Journal journal = openTransaction();
        if (journal == null) {
            engine.log(Event.Level.DEBUG, task.name(), "onRollback outside a transaction: ignored");
            return;
        }
        journal.add(this, handler);
    }

    private static void runBody(TransactionBody body) {
        try {
            body.run();
        } catch (RuntimeException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancelledException("interrupted");
        } catch (Exception e) {
            throw new CapstanException(e.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    // ---- commands --------------------------------------------------------------------------

    @Override
    public void run(String command) {
        run(command, o -> { });
    }

    @Override
    public void run(String command, Consumer<CommandOptions> options) {
        execute(command, server -> command, request(options), false);
    }

    @Override
    public void run(Function<Server, String> command) {
        run(command, o -> { });
    }

    @Override
    public void run(Function<Server, String> command, Consumer<CommandOptions> options) {
        execute(null, command, request(options), false);
    }

    @Override
    public void sudo(String command) {
        sudo(command, o -> { });
    }

    @Override
    public void sudo(String command, Consumer<CommandOptions> options) {
        CommandRequest request = request(options);
        request.pty = true;
        request.prompt = engine.sudo().answer();
        String line = Sudo.line(request.moveDirectoryInto(command), request.sudoUser);
        execute(line, server -> line, request, false);
    }

    @Override
    public String capture(String command) {
        return capture(command, o -> { });
    }

    @Override
    public String capture(String command, Consumer<CommandOptions> options) {
        CommandRequest request = request(options);
        request.once = true;
        List<CommandResult> results = execute(command, server -> command, request, true);
        return results.isEmpty() ? "" : results.get(0).stdout().stripTrailing();
    }

    @Override
    public boolean test(String command) {
        return test(command, o -> { });
    }

    @Override
    public boolean test(String command, Consumer<CommandOptions> options) {
        return test(command, server -> command, request(options));
    }

    @Override
    public boolean test(Function<Server, String> command) {
        return test(null, command, new CommandRequest());
    }

    private boolean test(String display, Function<Server, String> command, CommandRequest request) {
        List<Job> jobs = jobs(display, command, request, false);
        // a non-zero exit is an answer; an unreachable host ends the batches
        List<ServerFanout.Outcome<Job, CommandResult>> outcomes = engine.commands().run(origin().unchecked(), jobs,
                task.spec().maxHosts(), ServerFanout.Outcome::failed);
        List<HostFailure> unreachable = new ArrayList<>();
        boolean all = true;
        for (var outcome : outcomes) {
            if (outcome.failed()) {
                unreachable.add(hostFailure(outcome.job().server(), outcome.error()));
            } else {
                all &= outcome.value().succeeded();
            }
        }
        if (!unreachable.isEmpty()) {
            rethrowCancelled(failedLine(jobs, unreachable), unreachable);
            throw commandFailed(failedLine(jobs, unreachable), unreachable);
        }
        return all;
    }

    private CommandRequest request(Consumer<CommandOptions> options) {
        CommandRequest request = new CommandRequest();
        options.accept(request);
        return request;
    }

    /** The command for each chosen server; {@code display} names it in errors (null: built per server). */
    private List<Job> jobs(String display, Function<Server, String> command, CommandRequest request, boolean capture) {
        List<Server> servers = commandTargets(request.once, request.hosts, request.roles,
                () -> display != null ? display : "command built per server");
        List<Job> jobs = new ArrayList<>(servers.size());
        for (Server server : servers) {
            jobs.add(new Job(server, new Command(request.inDirectory(command.apply(server)), request.env, request.stdin,
                    request.pty, request.timeout, capture, request.prompt)));
        }
        return jobs;
    }

    /** Runs a command on the chosen servers; failures throw, or drop hosts under {@code onError(CONTINUE)}. */
    private List<CommandResult> execute(String display, Function<Server, String> command, CommandRequest request, boolean capture) {
        List<Job> jobs = jobs(display, command, request, capture);
        List<ServerFanout.Outcome<Job, CommandResult>> outcomes = engine.commands().run(origin(), jobs, task.spec().maxHosts(),
                this::endsLaterBatches);
        List<CommandResult> results = new ArrayList<>();
        List<HostFailure> failures = new ArrayList<>();
        for (var outcome : outcomes) {
            if (outcome.failed()) {
                failures.add(hostFailure(outcome.job().server(), outcome.error()));
            } else if (!outcome.value().succeeded()) {
                CommandResult r = outcome.value();
                failures.add(new HostFailure(r.server(), r.exitStatus(), "exit status " + r.exitStatus(), r.stderrTail()));
            } else {
                results.add(outcome.value());
            }
        }
        handleFailures(failedLine(jobs, failures), failures);
        return results;
    }

    /**
     * The command line a failure names: the first failed host's own. A command built per server differs between
     * servers, and the first server's line (what the message used to name) may be one that succeeded.
     */
    private static String failedLine(List<Job> jobs, List<HostFailure> failures) {
        for (HostFailure failure : failures) {
            for (Job job : jobs) {
                if (job.server().equals(failure.server())) {
                    return job.command().line();
                }
            }
        }
        return jobs.get(0).command().line();
    }

    private void handleFailures(String display, List<HostFailure> failures) {
        if (failures.isEmpty()) {
            return;
        }
        rethrowCancelled(display, failures);
        if (task.spec().onError() == OnError.CONTINUE) {
            List<Server> dropped = failures.stream().map(HostFailure::server).toList();
            String reason = commandFailed(display, failures).getMessage();
            failedHosts.addAll(dropped);
            engine.dropped(dropped);
            engine.emit(new Event.HostsDropped(java.time.Instant.now(), task.name(), dropped, reason));
            if (soleServer && servers().isEmpty()) {
                throw new ServerDropped(reason);
            }
            return;
        }
        throw commandFailed(display, failures);
    }

    private static final String CANCELLED = "cancelled";

    /** An interrupted command (Ctrl-C, a fail-fast sibling) is a cancellation, not a failure of its hosts. */
    private static void rethrowCancelled(String display, List<HostFailure> failures) {
        if (failures.stream().anyMatch(f -> f.reason().equals(CANCELLED))) {
            throw new CancelledException("interrupted while running `" + display + "`");
        }
    }

    /**
     * Whether {@code outcome} ends a task's {@code maxHosts} batches, as in Capistrano: a failed host does, unless the
     * task goes on without its failed hosts ({@code onError(CONTINUE)}); an interrupt always does.
     */
    private boolean endsLaterBatches(ServerFanout.Outcome<?, CommandResult> outcome) {
        if (outcome.error() instanceof CancelledException) {
            return true;
        }
        boolean failed = outcome.failed() || !outcome.value().succeeded();
        return failed && task.spec().onError() != OnError.CONTINUE;
    }

    /**
     * The error for {@code command}'s failures, its command line masked first: the message quotes a long command by its
     * start, and a secret cut there would no longer be found whole by the masking of what is printed.
     */
    private CommandFailedException commandFailed(String command, List<HostFailure> failures) {
        return new CommandFailedException(engine.mask(command), failures);
    }

    private static HostFailure hostFailure(Server server, RuntimeException error) {
        if (error instanceof CancelledException) {
            return new HostFailure(server, -1, CANCELLED, List.of());
        }
        String reason = error instanceof TransportException t ? t.getMessage() : error.toString();
        return new HostFailure(server, -1, reason, List.of());
    }

    /** The servers one command runs on: its own hosts/roles options, else the task's targets. */
    private List<Server> commandTargets(boolean once, List<String> hosts, List<String> roles, Supplier<String> what) {
        if (soleServer && (!hosts.isEmpty() || !roles.isEmpty())) {
            throw new ConfigException("`" + what.get() + "`: in eachServer every command runs on its block's server;"
                    + " hosts(...) and roles(...) do not apply");
        }
        List<Server> servers;
        if (!hosts.isEmpty()) {
            servers = engine.hostSelector().byHosts(hosts);
        } else if (!roles.isEmpty()) {
            servers = engine.hostSelector().byRoles(roles);
        } else {
            servers = servers();
        }
        if (servers.isEmpty() && hosts.isEmpty() && roles.isEmpty() && !targets.isEmpty()) {
            throw new CapstanException("`" + what.get() + "`: every server of task " + task.name()
                    + " failed and was dropped (onError(CONTINUE)); none is left to run it on");
        }
        if (servers.isEmpty()) {
            throw new CapstanException("`" + what.get() + "`: no servers match task " + task.name() + " ("
                    + engine.hostSelector().describe(task.spec()) + ")");
        }
        return once || task.spec().once() ? List.of(servers.get(0)) : servers;
    }

    // ---- files -----------------------------------------------------------------------------

    @Override
    public void upload(String local, String remote) {
        upload(local, remote, o -> { });
    }

    @Override
    public void upload(String local, String remote, Consumer<TransferOptions> options) {
        upload(local, server -> remote, options);
    }

    @Override
    public void upload(String local, Function<Server, String> remote, Consumer<TransferOptions> options) {
        TransferRequest request = transfer(options);
        Path source = Path.of(local);
        if (!engine.options().dryRun() && !Files.exists(source)) {
            throw new CapstanException("upload: local file " + local + " does not exist");
        }
        List<Server> first = servers();
        String shown = first.isEmpty() ? "" : remote.apply(first.get(0));
        transfer("upload " + local + " -> " + shown, request, server -> engine.transports().forServer(server)
                .upload(server, source, remote.apply(server), request.mode, engine.progress()));
    }

    @Override
    public void put(String content, String remote) {
        put(content, remote, o -> { });
    }

    @Override
    public void put(String content, String remote, Consumer<TransferOptions> options) {
        TransferRequest request = transfer(options);
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        transfer("put " + remote + " (" + bytes.length + " bytes)", request,
                server -> engine.transports().forServer(server).put(server, bytes, remote, request.mode));
    }

    @Override
    public void download(String remote, String local) {
        String display = "download " + remote + " -> " + local;
        // what it runs on (a download has no options), the task's once and hosts applied: one server's copy is the file
        List<Server> servers = commandTargets(false, List.of(), List.of(), () -> display);
        boolean many = servers.size() > 1;
        if (many && !engine.options().dryRun()) {
            // one file per host, in a directory of capstan's making, as Ansible's fetch makes dest/<host>
            try {
                Files.createDirectories(Path.of(local));
            } catch (IOException e) {
                throw new CapstanException("download: cannot make the directory " + local + " that a download from "
                        + servers.size() + " servers goes into (one file per host): "
                        + (e instanceof java.nio.file.FileAlreadyExistsException ? "a file of that name exists" : e.toString()));
            }
        }
        Map<Server, String> fileNames = downloadNames(servers);
        transfer(display, servers, server -> {
            Path target = many ? Path.of(local, fileNames.get(server)) : Path.of(local);
            engine.transports().forServer(server).download(server, remote, target, engine.progress());
        });
    }

    /**
     * The file each server's copy of a download gets: its label ({@code web1}, {@code 10.0.0.5_2222}), with the user
     * in front where two servers share a label (two accounts on one host named by --hosts only; declared ones are
     * told apart by their names already), so that no copy overwrites another.
     */
    private static Map<Server, String> downloadNames(List<Server> servers) {
        Map<Server, String> names = new java.util.HashMap<>(Configuration.labelsTellingApart(servers));
        names.replaceAll((server, label) -> label.replace(':', '_'));
        return names;
    }

    private TransferRequest transfer(Consumer<TransferOptions> options) {
        TransferRequest request = new TransferRequest();
        options.accept(request);
        return request;
    }

    /** A file transfer to every chosen server at once, reported like a command. */
    private interface Transfer {
        void apply(Server server) throws InterruptedException;
    }

    private void transfer(String display, TransferRequest request, Transfer action) {
        transfer(display, commandTargets(request.once, request.hosts, request.roles, () -> display), action);
    }

    private void transfer(String display, List<Server> servers, Transfer action) {
        List<ServerFanout.Outcome<Server, CommandResult>> outcomes = engine.commands().step(origin(), display, servers,
                task.spec().maxHosts(), this::endsLaterBatches, (server, id) -> {
                    long started = System.nanoTime();
                    action.apply(server);
                    return new CommandResult(server, 0, "", List.of(), Duration.ofNanos(System.nanoTime() - started));
                });
        List<HostFailure> failures = new ArrayList<>();
        for (var outcome : outcomes) {
            if (outcome.failed()) {
                failures.add(hostFailure(outcome.job(), outcome.error()));
            }
        }
        handleFailures(display, failures);
    }

    @Override
    public String runLocally(String command) {
        return runLocally(command, o -> { });
    }

    @Override
    public String runLocally(String command, Consumer<CommandOptions> options) {
        CommandRequest request = request(options);
        List<String> refused = request.serverOptions();
        if (!refused.isEmpty()) {
            throw new ConfigException("runLocally runs on this machine only: " + String.join(", ", refused)
                    + " does not apply to `" + command + "`");
        }
        Server localhost = Server.THIS_MACHINE;
        String line = request.inDirectory(command);
        var outcome = engine.commands().runLocal(origin(),
                new Command(line, request.env, request.stdin, false, request.timeout, true, null), localhost);
        if (outcome.failed()) {
            List<HostFailure> failures = List.of(hostFailure(localhost, outcome.error()));
            rethrowCancelled(line, failures);
            throw commandFailed(line, failures);
        }
        CommandResult r = outcome.value();
        if (!r.succeeded()) {
            throw commandFailed(line,
                    List.of(new HostFailure(localhost, r.exitStatus(), "exit status " + r.exitStatus(), r.stderrTail())));
        }
        return r.stdout();
    }

    // ---- composition -----------------------------------------------------------------------

    @Override
    public void invoke(String name) {
        TaskDefinition definition = engine.configuration().require(name, task.namespace());
        engine.invoke(definition, this);
    }

    @Override
    public void parallel(Consumer<ParallelBranches> branches) {
        ParallelPlan plan = new ParallelPlan();
        branches.accept(plan);
        List<Job> jobs = plan.jobs(servers());
        if (jobs.isEmpty()) {
            engine.log(Event.Level.INFO, task.name(), "parallel: no server matches any branch; nothing to run");
            return;
        }
        List<ServerFanout.Outcome<Job, CommandResult>> outcomes = engine.commands().run(origin(), jobs, task.spec().maxHosts(), this::endsLaterBatches);
        List<HostFailure> failures = new ArrayList<>();
        Set<String> failedCommands = new LinkedHashSet<>();
        for (var outcome : outcomes) {
            String line = outcome.job().command().line();
            if (outcome.failed()) {
                failures.add(hostFailure(outcome.job().server(), outcome.error()));
                failedCommands.add(line);
            } else if (!outcome.value().succeeded()) {
                CommandResult r = outcome.value();
                failures.add(new HostFailure(r.server(), r.exitStatus(), "`" + line + "` exit status " + r.exitStatus(), r.stderrTail()));
                failedCommands.add(line);
            }
        }
        handleFailures(String.join(" | ", failedCommands), failures);
    }

    @Override
    public void parallelize(Consumer<Blocks> blocks) {
        new Parallelizer(this, null).run(blocks);
    }

    @Override
    public void parallelize(int chunkSize, Consumer<Blocks> blocks) {
        new Parallelizer(this, chunkSize).run(blocks);
    }

    @Override
    public void eachServer(BlockBody body) {
        List<Server> servers = commandTargets(false, List.of(), List.of(), () -> "eachServer");
        int maxHosts = task.spec().maxHosts();
        new Parallelizer(this, maxHosts > 0 ? maxHosts : servers.size()).runPerServer(servers, body);
    }

    // ---- variables and facts ---------------------------------------------------------------

    @Override
    public <T> T fetch(String name) {
        return engine.configuration().variables().fetch(name);
    }

    @Override
    public <T> T fetch(String name, T defaultValue) {
        return engine.configuration().variables().fetch(name, defaultValue);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T fetch(Server server, String name, T defaultValue) {
        Object own = server.properties().get(name);
        return own != null ? (T) own : fetch(name, defaultValue);
    }

    @Override
    public void set(String name, Object value) {
        engine.configuration().set(name, value);
    }

    @Override
    public boolean exists(String name) {
        return engine.configuration().exists(name);
    }

    @Override
    public List<Server> servers() {
        if (failedHosts.isEmpty()) {
            return targets;
        }
        return targets.stream().filter(s -> !failedHosts.contains(s)).toList();
    }

    @Override
    public String task() {
        return task.name();
    }

    @Override
    public boolean dryRun() {
        return engine.options().dryRun();
    }

    @Override
    public void log(String message) {
        engine.log(Event.Level.INFO, task.name(), message);
    }

    @Override
    public void warn(String message) {
        engine.log(Event.Level.WARN, task.name(), message);
    }

    @Override
    public void uninterruptibly(Runnable work) {
        engine.rollbacks().shielded(() -> {
            work.run();
            return null;
        });
    }
}
