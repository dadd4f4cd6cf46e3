package dev.capstan;

/** What a task does when a command fails on some of its servers. */
public enum OnError {
    /** Stop the task and raise the error (the default). */
    FAIL,
    /**
     * Record the failed hosts, drop them for the rest of the task, and go on with the others; the run still ends with
     * exit status 1, naming the hosts it went on without. A task run in groups ({@code inGroups}, {@code inSequence})
     * stops when every server of a group failed, rather than go on to break the next group the same way.
     */
    CONTINUE
}
