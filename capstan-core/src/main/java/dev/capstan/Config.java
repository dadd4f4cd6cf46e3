package dev.capstan;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What a recipe declares: variables, servers, roles, stages, tasks and callbacks. Handed to
 * {@link Recipe#define}; nothing runs while a recipe defines itself.
 */
public interface Config extends Scope {

    /** Sets a variable. Command-line {@code -s NAME=VALUE} still wins over it. */
    void set(String name, Object value);

    /**
     * Sets a lazy variable: {@code value} is called once, on the first {@code fetch}, and its result is
     * kept, also when many threads fetch at the same moment.
     */
    void set(String name, Supplier<?> value);

    /** Sets a variable whose value is masked in every output and log. */
    void secret(String name, Object value);

    /**
     * Declares a variable asked on the terminal when it is first fetched, as Capistrano's {@code ask}: the prompt
     * shows the default, and an empty answer takes it. Without a terminal (CI) the default is taken, and with no
     * default the fetch fails, naming {@code -s NAME=VALUE}, which answers the question in advance ({@code -S} for a
     * variable the recipe fetches while it loads). A variable set already ({@code -S}, or by the recipe) is not asked.
     * <pre>{@code cap.ask("branch", "main");   // "branch [main]: " when a task first fetches it}</pre>
     *
     * @param defaultValue the answer when none is typed, or null for none
     */
    void ask(String name, String defaultValue);

    /**
     * {@link #ask} for a secret: the answer is not shown as it is typed, has no default, and is masked in every
     * output and log, as a {@link #secret} is.
     * <pre>{@code cap.askSecret("db_password");}</pre>
     */
    void askSecret(String name);

    /**
     * The value of a variable, typed by the caller; an unset variable is an error naming it. Passing a
     * fetched value straight to {@code set}, name its type, or Java picks the lazy overload:
     * {@code cap.set("repository", cap.<String>fetch("app_dir"))}.
     */
    <T> T fetch(String name);

    /** The value of a variable, or {@code defaultValue} when it is not set. */
    <T> T fetch(String name, T defaultValue);

    /** Whether a variable is set. */
    boolean exists(String name);

    /** Loads a built-in recipe by name, e.g. {@code load("deploy")}. Loading twice loads once. */
    void load(String builtin);

    /** Loads another recipe into this configuration. */
    void load(Recipe recipe);

    /**
     * Declares a stage: its body runs only when the stage is named first on the command line
     * ({@code capstan production deploy}) or picked by variable {@code default_stage}.
     */
    void stage(String name, Consumer<Config> body);

    /** Declares a server, {@code [user@]host[:port]}, with roles. Declaring it again adds roles. */
    ServerHandle server(String spec, String... roles);

    /**
     * Adds servers to a role. With no servers it declares the role alone, as Capistrano's {@code role :db} does: a
     * task for a role that no server of the chosen stage plays then finds no servers (and is skipped if it says
     * {@code skipWhenNoServers()}) instead of naming an unknown role.
     */
    void role(String role, String... servers);

    /** Runs {@code callbacks} (task names) before every execution of {@code task}, in registration order. */
    void before(String task, String... callbacks);

    /** Runs {@code body} before every execution of {@code task}. */
    void before(String task, TaskBody body);

    /** Runs {@code callbacks} (task names) after every successful execution of {@code task}. */
    void after(String task, String... callbacks);

    /** Runs {@code body} after every successful execution of {@code task}. */
    void after(String task, TaskBody body);

    /** Runs {@code tasks} before each task named on the command line. */
    void onStart(String... tasks);

    /** Runs {@code body} before each task named on the command line. */
    void onStart(TaskBody body);

    /** Runs {@code tasks} after each task named on the command line has succeeded. */
    void onFinish(String... tasks);

    /** Runs {@code body} after each task named on the command line has succeeded. */
    void onFinish(TaskBody body);
}
