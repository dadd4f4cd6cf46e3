package dev.capstan;

/**
 * Collects the blocks of {@link TaskContext#parallelize}.
 *
 * <pre>{@code
 * ctx.parallelize(s -> {
 *     s.run(c -> c.invoke("web:restart"));
 *     s.run(c -> c.invoke("daemons:restart"));
 * });
 * }</pre>
 */
public interface Blocks {

    /** Adds a block; it runs on its own thread with its own context. */
    Blocks run(BlockBody block);

    /** Adds a block with a name shown in output and errors. */
    Blocks run(String name, BlockBody block);

    /**
     * When one block fails, cancel the blocks still running (their threads are interrupted and their
     * remote commands ended) before rolling back, instead of waiting for them.
     */
    Blocks failFast();

    /** Start the next block as soon as any running block finishes, instead of chunk after chunk. */
    Blocks slidingWindow();
}
