package dev.capstan;

import java.util.List;

/**
 * One or more blocks of {@code parallelize} (or servers of {@code eachServer}, whose blocks they are) failed. Every
 * block run so far, and the caller's transaction, was rolled back before this was thrown (the message's first line
 * says how that went); later chunks never started.
 */
public class ParallelizeException extends CapstanException {
    private static final long serialVersionUID = 1L;

    /**
     * One failed block.
     *
     * @param block   its number, from 1, in declaration order
     * @param name    its name, or "block N"
     * @param task    the task it ran in (the caller's, or the last task it invoked)
     * @param servers the servers that task targeted
     * @param cause   what it threw (null when it rolled back without throwing)
     */
    public record BlockFailure(int block, String name, String task, List<Server> servers, Throwable cause) {
        public BlockFailure {
            servers = List.copyOf(servers);
        }

        /** One line: the cause's message, or how the block failed. */
        public String reason() {
            if (cause == null) {
                return "rolled back";
            }
            String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            return message.lines().findFirst().orElse(message);
        }
    }

    private final transient List<BlockFailure> failures;

    public ParallelizeException(List<BlockFailure> failures, int blocks) {
        this(failures, blocks, "every block run so far was rolled back");
    }

    /**
     * @param rollback what the rollback of every block run so far came to, for the first line: "every block run so far
     *                 was rolled back", "nothing to roll back", ...
     */
    public ParallelizeException(List<BlockFailure> failures, int blocks, String rollback) {
        this("parallelize", "block", failures, blocks, rollback);
    }

    /**
     * @param what the call whose blocks failed, "parallelize" or "eachServer", for the first line
     * @param unit what a block stands for there, "block" or "server"
     */
    public ParallelizeException(String what, String unit, List<BlockFailure> failures, int blocks, String rollback) {
        super(describe(what, unit, failures, blocks, rollback), failures.isEmpty() ? null : failures.get(0).cause());
        this.failures = List.copyOf(failures);
    }

    public List<BlockFailure> failures() {
        return failures;
    }

    private static String describe(String what, String unit, List<BlockFailure> failures, int blocks,
            String rollback) {
        StringBuilder sb = new StringBuilder(what + ": " + failures.size() + " of " + blocks + " " + unit
                + (blocks == 1 ? "" : "s") + " failed; " + rollback);
        for (BlockFailure f : failures) {
            sb.append("\n  ").append(f.name()).append(" (task ").append(f.task());
            if (!f.servers().isEmpty()) {
                sb.append(" on ").append(String.join(", ", f.servers().stream().map(Server::label).toList()));
            }
            sb.append("): ").append(f.reason());
        }
        return sb.toString();
    }
}
