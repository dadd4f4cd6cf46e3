package dev.capstan.testkit.fleet.sh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * An emulated POSIX shell for a simulated host: parses and runs scripts in-process, with no process ever forked.
 * It understands the sh grammar deploy scripts use (lists, pipelines, {@code if}/{@code while}/{@code for}/{@code case},
 * functions, subshells, redirections, here-documents, parameter/command/arithmetic expansion, globbing,
 * {@code set -e}/{@code -C}) and emulates a set of utilities ({@link #commands()}) against the host's
 * {@link HostFs}. An unknown command fails with status 127 and {@code capstan-fleet: command not supported: NAME} on
 * stderr.
 *
 * <p>One Shell is one shell process: variables, functions, options and the working directory persist across
 * {@link #run} calls. It is not thread-safe; use one per channel.
 */
public final class Shell {

    /**
     * The host a shell runs on.
     *
     * @param name       what {@code hostname} prints
     * @param fs         its file system
     * @param bootMillis when it "booted", for {@code uptime}
     */
    public record Host(String name, HostFs fs, long bootMillis) {
        public Host {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(fs, "fs");
        }
    }

    private final Interpreter interpreter;
    private final State state;

    /**
     * @param host the host
     * @param env  the environment ({@code HOME}, {@code USER}, ...); the working directory starts at {@code HOME}
     */
    public Shell(Host host, Map<String, String> env) {
        this.interpreter = new Interpreter(host);
        String home = env.getOrDefault("HOME", "/");
        this.state = new State(env, home);
        state.set("PWD", home);
        state.vars.putIfAbsent("IFS", " \t\n");
        state.vars.putIfAbsent("PATH", "/usr/local/bin:/usr/bin:/bin");
    }

    /** @return the names of all commands the shell emulates, builtins included */
    public static SortedSet<String> commands() {
        return new TreeSet<>(Utilities.all().keySet());
    }

    /**
     * Stops what runs: no further command starts, and the thread running it should be interrupted too (to end a
     * {@code sleep} or a blocking read); {@link #run} then returns 143. Callable from any thread.
     */
    public void stop() {
        interpreter.stop();
    }

    /** @return the working directory */
    public String cwd() {
        return state.cwd;
    }

    /**
     * Runs a whole script, as {@code sh -c SCRIPT} does.
     *
     * @return its exit status: 2 for a syntax error, 143 if the running thread was interrupted
     */
    public int run(String script, InputStream in, OutputStream out, OutputStream err) {
        Interpreter.Ctx ctx = new Interpreter.Ctx(state, in, out, err, false);
        int status;
        try {
            Ast.Seq seq = Parser.parse(script);
            status = interpreter.execute(seq, ctx);
        } catch (SyntaxError e) {
            Interpreter.writeErr(ctx, "sh: 1: " + e.getMessage());
            status = 2;
        } catch (Signals.Exit e) {
            status = e.status;
        } catch (Signals.Killed e) {
            return 143;
        } catch (Signals.Return | Signals.LoopControl e) {
            status = state.lastStatus;
        }
        state.lastStatus = status;
        return exitTrap(ctx, status);
    }

    /**
     * Reads commands from {@code in} and runs each as soon as it is complete (a line, or several for an open
     * {@code if} or quote), like {@code sh} reading a script from a pipe, until end of input or {@code exit}. Commands
     * that read stdin read the rest of {@code in}, as with a real shell.
     *
     * @return the exit status of the last command, or of {@code exit}
     */
    public int interact(InputStream in, OutputStream out, OutputStream err) throws IOException {
        Interpreter.Ctx ctx = new Interpreter.Ctx(state, in, out, err, false);
        int status;
        try {
            status = interpreter.interact(ctx);
        } catch (Signals.Exit e) {
            status = e.status;
        } catch (Signals.Killed e) {
            return 143;
        }
        state.lastStatus = status;
        return exitTrap(ctx, status);
    }

    private int exitTrap(Interpreter.Ctx ctx, int status) {
        String trap = state.exitTrap;
        if (trap != null) {
            state.exitTrap = null;
            try {
                interpreter.runScript(trap, ctx, "sh", true);
            } catch (RuntimeException e) {
                // the trap's own failure does not change the exit status
            }
        }
        Interpreter.flushQuietly(ctx.out());
        Interpreter.flushQuietly(ctx.err());
        Interpreter.closeAll(state.keptOpen);
        return status;
    }
}
