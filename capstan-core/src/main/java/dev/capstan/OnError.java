package dev.capstan;

/** What a task does when a command fails on some of its servers. */
public enum OnError {
    /** Stop the task and raise the error (the default). */
    FAIL,
    /** Record the failed hosts, drop them for the rest of the task, and go on with the others. */
    CONTINUE
}
