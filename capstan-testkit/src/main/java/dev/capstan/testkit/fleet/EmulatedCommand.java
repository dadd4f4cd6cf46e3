package dev.capstan.testkit.fleet;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.Signal;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;

import dev.capstan.testkit.fleet.sh.FsException;
import dev.capstan.testkit.fleet.sh.Shell;

/**
 * An exec or shell channel on a simulated host: the emulated shell runs the command on a virtual thread, against the
 * host's file system, with the channel's streams. Nothing is forked. A signal from the client (capstan sends TERM on a
 * timeout) stops the command at once, with status 128 + the signal's number; a channel the client closes early stops
 * it too, after MINA's command exit timeout (OpenSSH would let a command without a terminal run on).
 */
final class EmulatedCommand implements Command {

    private final FleetHost host;
    private final String commandLine;
    private final AtomicBoolean ended = new AtomicBoolean();
    private InputStream in;
    private OutputStream out;
    private OutputStream err;
    private ExitCallback exit;
    private volatile Thread thread;
    private volatile Shell shell;
    private volatile Signal signal;

    /**
     * @param host        where it runs
     * @param commandLine the exec command, or null for an interactive shell that reads commands from stdin
     */
    EmulatedCommand(FleetHost host, String commandLine) {
        this.host = host;
        this.commandLine = commandLine;
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
        this.exit = callback;
    }

    @Override
    public void start(ChannelSession channel, Environment env) {
        String user = channel.getSession().getUsername();
        String home = user.equals("root") ? "/root" : "/home/" + user;
        try {
            host.files().mkdirs(home);
        } catch (FsException e) {
            home = "/";
        }
        Map<String, String> vars = new HashMap<>(env.getEnv()); // USER, plus what the client sent with "env"
        vars.put("HOME", home);
        vars.put("LOGNAME", user);
        vars.put("SHELL", "/bin/sh");
        vars.put("HOSTNAME", host.name());
        vars.putIfAbsent("PATH", "/usr/local/bin:/usr/bin:/bin");
        vars.putIfAbsent("LANG", "C.UTF-8");
        env.addSignalListener((ch, received) -> {
            signal = received;
            stop();
        }, EnumSet.of(Signal.TERM, Signal.INT, Signal.KILL, Signal.HUP, Signal.QUIT));
        String forced = host.forcedCommand();
        if (forced != null && commandLine != null) {
            vars.put("SSH_ORIGINAL_COMMAND", commandLine);
        }
        String script = forced != null ? forced : commandLine;
        host.commandStarted();
        Shell sh = new Shell(host.shellHost(), vars);
        shell = sh;
        thread = Thread.ofVirtual().name("capstan-fleet-" + host.name()).start(() -> run(sh, script));
    }

    /** @param script what to run; null for an interactive shell that reads commands from stdin */
    private void run(Shell shell, String script) {
        OutputStream stdout = new BufferedOutputStream(out, 8192);
        OutputStream stderr = new BufferedOutputStream(err, 1024);
        int status;
        try {
            status = script != null ? shell.run(script, in, stdout, stderr)
                    : shell.interact(in, stdout, stderr);
        } catch (IOException | RuntimeException e) {
            status = 255;
        }
        Signal killedBy = signal;
        if (killedBy != null) {
            status = 128 + killedBy.getNumeric(); // what a shell reports for a command killed by a signal
        }
        try {
            stdout.flush();
            stderr.flush();
        } catch (IOException e) {
            // the channel is gone
        }
        if (ended.compareAndSet(false, true)) {
            exit.onExit(status);
        }
    }

    private void stop() {
        Shell sh = shell;
        if (sh != null) {
            sh.stop();
        }
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }

    @Override
    public void destroy(ChannelSession channel) {
        if (!ended.get()) {
            stop(); // the client closed the channel, or the connection, while the command ran
        }
    }
}
