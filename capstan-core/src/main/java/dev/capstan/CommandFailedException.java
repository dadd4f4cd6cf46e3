package dev.capstan;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A command failed on one or more servers. The message names every failed host with its exit status
 * (or why it could not run) and its last lines of standard error.
 */
public class CommandFailedException extends CapstanException {
    private static final long serialVersionUID = 1L;

    /**
     * One server on which the command failed.
     *
     * @param server     the server
     * @param exitStatus the exit status, or -1 when the command could not run or finish there
     * @param reason     why it failed, one line
     * @param stderrTail the last lines of standard error
     */
    public record HostFailure(Server server, int exitStatus, String reason, List<String> stderrTail) {
        public HostFailure {
            stderrTail = List.copyOf(stderrTail);
        }
    }

    private final String command;
    private final transient List<HostFailure> failures;

    public CommandFailedException(String command, List<HostFailure> failures) {
        super(describe(command, failures));
        this.command = command;
        this.failures = List.copyOf(failures);
    }

    public String command() {
        return command;
    }

    public List<HostFailure> failures() {
        return failures;
    }

    /** The servers on which the command failed. */
    public List<Server> hosts() {
        return failures.stream().map(HostFailure::server).toList();
    }

    /** Longest command line a message quotes whole; a longer script is named by its start (the logs keep it whole). */
    static final int QUOTED_CHARS = 160;

    /** {@code command}, or its first line cut to fit and how long it is: a recipe's script can run to kilobytes. */
    static String abbreviate(String command) {
        if (command.length() <= QUOTED_CHARS) {
            return command;
        }
        int end = command.indexOf('\n');
        end = Math.min(end < 0 ? command.length() : end, 100);
        return command.substring(0, end).strip() + "… (" + command.length() + " characters)";
    }

    private static String describe(String command, List<HostFailure> failures) {
        String hosts = failures.stream().map(f -> f.server().label()).collect(Collectors.joining(", "));
        StringBuilder sb = new StringBuilder("`" + abbreviate(command) + "` failed on " + failures.size()
                + (failures.size() == 1 ? " host: " : " hosts: ") + hosts);
        for (HostFailure f : failures) {
            sb.append("\n  ").append(f.server().label()).append(": ").append(f.reason());
            for (String line : f.stderrTail()) {
                sb.append("\n    ").append(line);
            }
        }
        return sb.toString();
    }
}
