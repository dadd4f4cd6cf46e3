package dev.capstan;

import java.time.Duration;

/**
 * Options of a task, set in the task declaration: {@code t -> t.roles("web").maxHosts(2)}.
 * Each method returns this builder.
 */
public interface TaskOptions {

    /** Run on servers with any of these roles (unless the command line names hosts or roles). */
    TaskOptions roles(String... roles);

    /** Run on exactly these servers, {@code [user@]host[:port]}. */
    TaskOptions hosts(String... hosts);

    /** Keep only servers whose property {@code property} is true, e.g. {@code only("primary")}. */
    TaskOptions only(String property);

    /** Keep only servers whose property {@code property} equals {@code value}. */
    TaskOptions only(String property, Object value);

    /** Drop servers whose property {@code property} is true, e.g. {@code except("no_release")}. */
    TaskOptions except(String property);

    /** Every command of the task runs on the first target server only. */
    TaskOptions once();

    /** Commands run on at most {@code n} servers at a time, batch after batch. */
    TaskOptions maxHosts(int n);

    /** What to do with servers on which a command failed; see {@link OnError#CONTINUE} for the exit status. */
    TaskOptions onError(OnError policy);

    /** The task body runs server after server, waiting {@code wait} between two servers. */
    TaskOptions inSequence(Duration wait);

    /** The task body runs on groups of {@code limit} servers, waiting {@code wait} between groups. */
    TaskOptions inGroups(int limit, Duration wait);

    /** With no matching server, the task is skipped instead of failing. */
    TaskOptions skipWhenNoServers();
}
