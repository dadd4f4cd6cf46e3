package dev.capstan.testkit;

/**
 * A session channel as a test host served it. Times are ticks of the host's logical clock: every open, command start
 * and close takes the next tick, so that a test can tell what happened before what without timing anything.
 *
 * @param command the exec command line, or null if none ran (a shell, a subsystem, or a channel left unused)
 * @param opened  when the host confirmed the open
 * @param started when the host started the command, or 0
 * @param closed  when the channel closed, or 0 while it is open
 * @param earlyInput what the client sent to the command's stdin before the command's first output went back (up to
 *                   {@value #EARLY_INPUT_LIMIT} characters): what a client sent without waiting for any answer
 */
public record ServedChannel(String command, long opened, long started, long closed, String earlyInput) {

    /** The most of {@link #earlyInput} kept. */
    public static final int EARLY_INPUT_LIMIT = 64 * 1024;
}
