package dev.capstan.transport;

import dev.capstan.Server;
import java.time.Duration;
import java.util.List;

/**
 * How a command ended on one server.
 *
 * @param server     where it ran
 * @param exitStatus the exit status the command reported
 * @param stdout     its whole standard output when the command asked to capture it, else ""
 * @param stderrTail its last lines of standard error (at most {@link #STDERR_TAIL})
 * @param duration   from channel open to channel close
 */
public record CommandResult(Server server, int exitStatus, String stdout, List<String> stderrTail, Duration duration) {
    /** How many trailing stderr lines a result keeps for error messages. */
    public static final int STDERR_TAIL = 5;

    public CommandResult {
        stderrTail = List.copyOf(stderrTail);
    }

    public boolean succeeded() {
        return exitStatus == 0;
    }
}
