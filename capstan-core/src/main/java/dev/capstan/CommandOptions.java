package dev.capstan;

import java.time.Duration;

/**
 * Options of one command: {@code ctx.run("bin/migrate", o -> o.once().env("RAILS_ENV", "production"))}.
 * Each method returns this builder.
 */
public interface CommandOptions {

    /** Run on the first target server only. */
    CommandOptions once();

    /** Run on these servers instead of the task's targets. */
    CommandOptions hosts(String... hosts);

    /** Run on the servers with these roles instead of the task's targets. */
    CommandOptions roles(String... roles);

    /** Export an environment variable for the command. */
    CommandOptions env(String name, String value);

    /** Request a pseudo-terminal. */
    CommandOptions pty();

    /** Write {@code input} to the command's standard input, then close it. */
    CommandOptions stdin(String input);

    /** End the command and fail when it runs longer than {@code limit}. */
    CommandOptions timeout(Duration limit);

    /** For {@code sudo}: run as this user instead of root. */
    CommandOptions as(String user);

    /**
     * Run the command in {@code directory}, as Capistrano's {@code within} and Ansible's {@code chdir} do; where it
     * does not exist the command fails (a {@code test} is false) and its error names the directory. With {@code sudo}
     * the change of directory is sudo's too; a leading {@code ~/} is {@code $HOME} as the command's shell has it (under
     * sudo, as sudo sets it). What runs, and what output shows, is
     * {@code cd -- 'DIR' >/dev/null || exit; COMMAND}:
     * <pre>{@code ctx.run("./bin/migrate", o -> o.within(releasePath).once());}</pre>
     */
    CommandOptions within(String directory);
}
