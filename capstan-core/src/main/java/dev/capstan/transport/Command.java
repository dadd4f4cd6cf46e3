package dev.capstan.transport;

import dev.capstan.Shell;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One shell command as a transport runs it.
 *
 * @param line    the shell command line, run by the remote user's shell ({@code sh -c} locally)
 * @param env     environment variables exported before the command
 * @param stdin   bytes written to the command's standard input, then closed; {@code null} for none
 * @param pty     whether to request a pseudo-terminal
 * @param timeout how long the command may run, or {@code null} for no limit
 * @param capture whether the result keeps the whole standard output
 * @param prompt  a prompt to answer (sudo's password), or {@code null}
 */
public record Command(String line, Map<String, String> env, byte[] stdin, boolean pty, Duration timeout, boolean capture,
                      Prompt prompt) {

    public Command {
        Objects.requireNonNull(line, "line");
        env = Map.copyOf(env);
    }

    /** A command without a prompt to answer. */
    public Command(String line, Map<String, String> env, byte[] stdin, boolean pty, Duration timeout, boolean capture) {
        this(line, env, stdin, pty, timeout, capture, null);
    }

    /** A plain command: no environment, no stdin, no pty, no timeout, output not kept. */
    public static Command of(String line) {
        return new Command(line, Map.of(), null, false, null, false);
    }

    public Command capturing() {
        return new Command(line, env, stdin, pty, timeout, true, prompt);
    }

    public Command withTimeout(Duration limit) {
        return new Command(line, env, stdin, pty, limit, capture, prompt);
    }

    public Command withPrompt(Prompt answer) {
        return new Command(line, env, stdin, pty, timeout, capture, answer);
    }

    /**
     * The line a POSIX shell runs: exported environment first, each value single-quoted.
     */
    public String shellLine() {
        if (env.isEmpty()) {
            return line;
        }
        StringBuilder sb = new StringBuilder("export");
        new TreeMap<>(env).forEach((k, v) -> sb.append(' ').append(k).append('=').append(Shell.quote(v)));
        return sb.append("; ").append(line).toString();
    }
}
