package dev.capstan;

/** What a task does, given the context of its invocation: {@code ctx -> ctx.run("uptime")}. */
@FunctionalInterface
public interface TaskBody {
    void run(TaskContext ctx) throws Exception;
}
