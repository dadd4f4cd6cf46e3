package dev.capstan;

/** One block of {@link TaskContext#parallelize}: {@code c -> c.invoke("web:restart")}, with its own context. */
@FunctionalInterface
public interface BlockBody {
    void run(TaskContext ctx) throws Exception;
}
