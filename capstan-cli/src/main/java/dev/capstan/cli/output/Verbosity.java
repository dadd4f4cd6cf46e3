package dev.capstan.cli.output;

/**
 * How much the console shows: {@code -q} errors, warnings, rollbacks and the summary; the default adds
 * tasks, commands and their output; {@code -v} adds each command's end per host and debug logs;
 * {@code -vv} adds trace logs and connection details. The log file always gets everything.
 */
public enum Verbosity {
    QUIET, NORMAL, VERBOSE, DEBUG;

    /** Whether this level shows what is meant for {@code level}. */
    public boolean shows(Verbosity level) {
        return compareTo(level) >= 0;
    }
}
