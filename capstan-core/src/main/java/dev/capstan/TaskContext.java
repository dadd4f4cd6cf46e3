package dev.capstan;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The context of one task invocation (or of one {@code parallelize} block): runs commands on the
 * task's target servers, moves files, invokes other tasks and manages transactions.
 *
 * <pre>{@code
 * cap.task("update_code", ctx -> {
 *     String release = ctx.fetch("release_path");
 *     ctx.onRollback(() -> ctx.run("rm -rf " + release));
 *     ctx.run("mkdir -p " + release);
 * });
 * }</pre>
 */
public interface TaskContext {

    /** Runs {@code command} on every target server at once; fails naming every host where it failed. */
    void run(String command);

    /** {@link #run(String)} with options. */
    void run(String command, Consumer<CommandOptions> options);

    /**
     * Runs a command built for each server, for values that differ per server (server-level variables):
     * {@code ctx.run(s -> "mkdir -p " + ctx.fetch(s, "deploy_to", "/srv/app"))}. Servers that get the same
     * line are reported together.
     */
    void run(Function<Server, String> command);

    /** {@link #run(Function)} with options. */
    void run(Function<Server, String> command, Consumer<CommandOptions> options);

    /** Runs {@code command} with sudo; a password prompt is answered from {@code sudo_password} or asked once. */
    void sudo(String command);

    /** {@link #sudo(String)} with options, e.g. {@code o -> o.as("www-data")}. */
    void sudo(String command, Consumer<CommandOptions> options);

    /** The standard output of {@code command} on the first target server. */
    String capture(String command);

    /** {@link #capture(String)} with options. */
    String capture(String command, Consumer<CommandOptions> options);

    /** Whether {@code command} exits 0 on every target server. */
    boolean test(String command);

    /** {@link #test(String)} with options. */
    boolean test(String command, Consumer<CommandOptions> options);

    /** Whether the command built for each server exits 0 on every target server. */
    boolean test(Function<Server, String> command);

    /** Uploads a local file or directory to {@code remote} on every target server at once. */
    void upload(String local, String remote);

    /** {@link #upload(String, String)} with options such as a file mode. */
    void upload(String local, String remote, Consumer<TransferOptions> options);

    /** Uploads to a path that differs per server; the local file is read once and sent to all at once. */
    void upload(String local, Function<Server, String> remote, Consumer<TransferOptions> options);

    /** Writes {@code content} to the file {@code remote} on every target server. */
    void put(String content, String remote);

    /** {@link #put(String, String)} with options. */
    void put(String content, String remote, Consumer<TransferOptions> options);

    /**
     * Downloads {@code remote} from every target server; with several servers, each lands in
     * {@code local/<host>}.
     */
    void download(String remote, String local);

    /** Runs {@code command} on this machine and returns its standard output; fails on a non-zero exit. */
    String runLocally(String command);

    /**
     * {@link #runLocally(String)} with options: {@code env}, {@code stdin}, {@code timeout} and {@code within} apply;
     * the options that choose servers ({@code once}, {@code hosts}, {@code roles}), {@code pty} and {@code as} are
     * refused.
     * <pre>{@code String jar = ctx.runLocally("mvn -q package && ls target/*.jar", o -> o.timeout(Duration.ofMinutes(10)));}</pre>
     */
    String runLocally(String command, Consumer<CommandOptions> options);

    /** Invokes a task by name (relative names are looked up in the current namespace first). */
    void invoke(String task);

    /** Runs shell commands on servers by condition, all at once. See {@link ParallelBranches}. */
    void parallel(Consumer<ParallelBranches> branches);

    /** Runs blocks on their own threads, in chunks of {@code parallelize_thread_count} (default 10). */
    void parallelize(Consumer<Blocks> blocks);

    /** Runs blocks on their own threads, in chunks of {@code chunkSize}. */
    void parallelize(int chunkSize, Consumer<Blocks> blocks);

    /**
     * Runs {@code body} once per target server, all at once (in batches of {@code maxHosts} when the task sets it),
     * each with a context whose only server is that one: Capistrano 3's {@code on roles(...) do |host|}. A server goes
     * through its steps at its own pace, and a {@code test} or {@code capture} answers for that server alone; a
     * command's {@code hosts} and {@code roles} options are refused there, while {@code invoke} runs the named task on
     * its own servers, once per block. The blocks are {@link #parallelize} blocks named by their servers: when one
     * fails, the others finish, inside a transaction every block's rollback handlers run, and one error lists the
     * failed servers. Under {@code onError(CONTINUE)} the block of a server that failed ends there, its work kept,
     * and the others go on.
     * <pre>{@code
     * ctx.eachServer(c -> {
     *     if (!c.test("grep -qx 'vm.swappiness=10' /etc/sysctl.conf")) {
     *         c.sudo("echo 'vm.swappiness=10' >> /etc/sysctl.conf");
     *     }
     * });
     * }</pre>
     */
    void eachServer(BlockBody body);

    /**
     * Runs {@code body}; on any exception every rollback handler registered inside it runs, latest first,
     * and the exception is rethrown. Nested transactions join the outer one.
     */
    void transaction(TransactionBody body);

    /** Registers a rollback handler for this task invocation; ignored outside a transaction. */
    void onRollback(TransactionBody handler);

    /** The value of a variable, typed by the caller; an unset variable is an error naming it. */
    <T> T fetch(String name);

    /** The value of a variable, or {@code defaultValue} when it is not set. */
    <T> T fetch(String name, T defaultValue);

    /** The value of a variable for one server: the server's property of that name wins. */
    <T> T fetch(Server server, String name, T defaultValue);

    /** Sets a variable for the rest of the run. */
    void set(String name, Object value);

    /** Whether a variable is set. */
    boolean exists(String name);

    /** The servers this task runs on (after host and role filters, without failed hosts). */
    List<Server> servers();

    /** The fully qualified name of the current task, e.g. {@code deploy:symlink}. */
    String task();

    /** Whether this is a dry run ({@code -n}): commands are shown, not run. */
    boolean dryRun();

    /** Reports a message as part of this task's output. */
    void log(String message);

    /**
     * Reports a warning: shown at every verbosity, {@code -q} included, for what the user must not miss
     * ({@code "release 20261127 is live"}).
     */
    void warn(String message);

    /**
     * Runs {@code work} to its end even if Ctrl-C, SIGTERM or SIGHUP arrives meanwhile: the stop waits until it is done,
     * as it waits for a rollback (a second Ctrl-C still aborts at once). For short work that must not be cut in half,
     * such as releasing a lock: {@code ctx.uninterruptibly(() -> ctx.run("rm -f deploy.lock"))}. Timeouts still apply.
     */
    void uninterruptibly(Runnable work);
}
