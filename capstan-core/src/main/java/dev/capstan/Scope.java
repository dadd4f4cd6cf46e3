package dev.capstan;

import java.util.function.Consumer;

/**
 * Where tasks are declared: the top level of a recipe or a namespace.
 *
 * <pre>{@code
 * cap.namespace("web", web -> {
 *     web.desc("Restart the web tier");
 *     web.task("restart", t -> t.roles("web"), ctx -> ctx.run("script/spin"));
 * });
 * }</pre>
 */
public interface Scope {

    /** Describes the next task declared; only described tasks are listed by {@code capstan -T}. */
    void desc(String description);

    /** Declares a task that runs on the servers chosen by the command line, else on all servers. */
    void task(String name, TaskBody body);

    /** Declares a task with options such as roles, hosts or rolling execution. */
    void task(String name, Consumer<TaskOptions> options, TaskBody body);

    /** Declares tasks inside a nested namespace: task {@code restart} in {@code web} is {@code web:restart}. */
    void namespace(String name, Consumer<Scope> body);
}
