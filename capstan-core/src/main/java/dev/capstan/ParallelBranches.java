package dev.capstan;

import java.util.function.Predicate;

/**
 * The branches of {@link TaskContext#parallel}: shell commands chosen per server by condition.
 *
 * <pre>{@code
 * ctx.parallel(p -> {
 *     p.when(Server.in("web"), "script/spin");
 *     p.when(Server.in("daemon"), "script/daemons restart");
 *     p.otherwise("true");
 * });
 * }</pre>
 */
public interface ParallelBranches {

    /** Runs {@code command} on every target server matching {@code condition}. */
    ParallelBranches when(Predicate<Server> condition, String command);

    /** Like {@link #when(Predicate, String)}; with {@code last}, later branches are skipped where this one matched. */
    ParallelBranches when(Predicate<Server> condition, String command, boolean last);

    /** Runs {@code command} on the target servers that no {@code when} matched. */
    ParallelBranches otherwise(String command);
}
