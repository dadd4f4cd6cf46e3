package dev.capstan.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;

/**
 * Runs one real process for an exec or shell channel: {@code /bin/sh -c <command>} (or a bare {@code /bin/sh}) in the
 * host's root with {@code HOME} set to it, with stdin, stdout and stderr pumped to and from the channel.
 *
 * <p>MINA's own {@code ProcessShell} cannot set a working directory and polls its streams; this class uses one
 * blocking thread per stream instead, so output reaches the client as soon as the process writes it.
 */
final class ProcessCommand implements Command {

    private final List<String> argv;
    private final Path home;
    private final Consumer<ProcessCommand> onEnd;
    private final AtomicBoolean ended = new AtomicBoolean();
    /** Whether the process goes on when its channel closes (OpenSSH's way): ended then only by {@link #kill}. */
    private volatile boolean outlivesChannel;

    private InputStream in;
    private OutputStream out;
    private OutputStream err;
    private ExitCallback exitCallback;
    private volatile Process process;

    /**
     * @param argv  the process to start
     * @param home  working directory and {@code HOME}
     * @param onEnd told once when the process has ended or was killed (the host stops tracking it)
     */
    ProcessCommand(List<String> argv, Path home, Consumer<ProcessCommand> onEnd) {
        this.argv = List.copyOf(argv);
        this.home = home;
        this.onEnd = onEnd;
    }

    static ProcessCommand exec(String commandLine, Path home, Consumer<ProcessCommand> onEnd) {
        return new ProcessCommand(List.of("/bin/sh", "-c", commandLine), home, onEnd);
    }

    /** Lets the process go on when its channel closes, as OpenSSH does for a command without a pty. */
    void outliveChannel() {
        outlivesChannel = true;
    }

    static ProcessCommand shell(Path home, Consumer<ProcessCommand> onEnd) {
        return new ProcessCommand(List.of("/bin/sh"), home, onEnd);
    }

    @Override
    public void setInputStream(InputStream in) {
        this.in = in;
    }

    @Override
    public void setOutputStream(OutputStream out) {
        this.out = out;
    }

    @Override
    public void setErrorStream(OutputStream err) {
        this.err = err;
    }

    @Override
    public void setExitCallback(ExitCallback callback) {
        this.exitCallback = callback;
    }

    @Override
    public void start(ChannelSession channel, Environment env) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(argv).directory(home.toFile());
        Map<String, String> vars = builder.environment();
        vars.putAll(env.getEnv()); // USER plus whatever the client sent with "env" requests
        String dir = home.toString();
        vars.put("HOME", dir);
        vars.put("PWD", dir);
        vars.remove("OLDPWD");
        vars.put("SHELL", "/bin/sh");
        String user = vars.get("USER");
        if (user != null) {
            vars.put("LOGNAME", user);
        }
        Process started = builder.start();
        process = started;

        String name = "capstan-testkit-pid-" + started.pid();
        daemon(name + "-stdin", () -> feedStdin(started));
        Thread stderr = daemon(name + "-stderr", () -> copy(started.getErrorStream(), err));
        daemon(name + "-stdout", () -> {
            copy(started.getInputStream(), out);
            // Exit status goes out only after all output, as sshd does: the client may stop reading at exit-status.
            int status = waitFor(started);
            joinQuietly(stderr);
            end(status);
        });
    }

    /**
     * Called whenever the channel closes. If the process is still running the client gave up on it (closed the
     * channel, or the connection is gone), so it is killed together with its descendants.
     */
    @Override
    public void destroy(ChannelSession channel) {
        // After a normal exit, leave alone what the command started in the background ("nohup x &"), like sshd.
        if (!ended.get() && !outlivesChannel) {
            kill();
        }
    }

    /** Kills the whole process tree, so a remote {@code sleep 30} started through {@code sh -c} really ends. */
    void kill() {
        ended.set(true);
        Process p = process;
        if (p != null) {
            killTree(p.toHandle());
        }
        onEnd.accept(this);
    }

    static void killTree(ProcessHandle root) {
        // Snapshot the children first: once the parent dies they are re-parented and no longer its descendants.
        List<ProcessHandle> descendants = root.descendants().toList();
        root.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
    }

    private void end(int status) {
        if (ended.compareAndSet(false, true)) {
            onEnd.accept(this);
            exitCallback.onExit(status);
        }
    }

    private void feedStdin(Process p) {
        try (OutputStream stdin = p.getOutputStream()) {
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) >= 0; ) {
                stdin.write(buf, 0, n);
                stdin.flush();
            }
            // Closing stdin at the client's EOF is what lets "cat" and friends finish.
        } catch (IOException e) {
            // The process exited without reading everything, or the channel closed: nothing left to deliver.
        }
    }

    private static void copy(InputStream from, OutputStream to) {
        byte[] buf = new byte[8192];
        try (from) {
            for (int n; (n = from.read(buf)) >= 0; ) {
                to.write(buf, 0, n);
                to.flush(); // no buffering: clients watch output live
            }
        } catch (IOException e) {
            // The channel went away; the process is being killed.
        }
    }

    private static int waitFor(Process p) {
        boolean interrupted = false;
        while (true) {
            try {
                int status = p.waitFor();
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                return status;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // Platform threads rather than virtual ones: blocking pipe reads would pin carriers, and a fleet runs many.
    private static Thread daemon(String name, Runnable body) {
        return Thread.ofPlatform().daemon().name(name).start(body);
    }

    @Override
    public String toString() {
        Process p = process;
        return "ProcessCommand[" + String.join(" ", argv) + (p == null ? "" : ", pid " + p.pid()) + "]";
    }
}
