package dev.capstan.transport.ssh;

import dev.capstan.Server;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.TransportException;
import dev.capstan.transport.TransportException.Reason;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannel;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.util.buffer.Buffer;

/**
 * Runs one command on its own exec channel and waits until the channel has closed: the exit status can arrive before
 * the last output, the close cannot. A command that outlives its timeout, or whose caller is interrupted, is stopped:
 * sent SIGTERM (OpenSSH does not end a command without a pty just because its channel closes) and its channel closed.
 */
final class RemoteCommand {

    /** How long a stopped command's channel may take to close before it is dropped. */
    private static final long CLOSE_WAIT_MILLIS = 2000;
    private static final Map<String, Integer> SIGNAL_NUMBERS = Map.ofEntries(
            Map.entry("HUP", 1), Map.entry("INT", 2), Map.entry("QUIT", 3), Map.entry("ILL", 4),
            Map.entry("ABRT", 6), Map.entry("FPE", 8), Map.entry("KILL", 9), Map.entry("USR1", 10),
            Map.entry("SEGV", 11), Map.entry("USR2", 12), Map.entry("PIPE", 13), Map.entry("ALRM", 14),
            Map.entry("TERM", 15));

    private final Server server;
    private final Command command;
    private final Duration timeout;
    private final Duration openTimeout;
    private final OutputListener listener;

    /**
     * @param timeout     how long the command may run, or {@code null} for no limit
     * @param openTimeout how long the server may take to answer the channel open
     */
    RemoteCommand(Server server, Command command, Duration timeout, Duration openTimeout, OutputListener listener) {
        this.server = server;
        this.command = command;
        this.timeout = timeout;
        this.openTimeout = openTimeout;
        this.listener = listener;
    }

    CommandResult run(HostConnections host) throws InterruptedException {
        CommandOutput output = new CommandOutput(server, listener, command.capture());
        try (ChannelLease<ChannelExec> lease = host.lease(server, new ExecOpener(output))) {
            long started = System.nanoTime();
            ChannelExec channel = lease.channel();
            CountDownLatch closed = new CountDownLatch(1);
            channel.addCloseFutureListener(f -> closed.countDown());
            sendStdin(channel, closed);
            awaitClose(channel, closed);
            output.finish();
            output.rethrowListenerFailure();
            return result(channel, lease.connection(), output, Duration.ofNanos(System.nanoTime() - started));
        }
    }

    /** Opens the exec channel, output wired to {@code output} before any byte can arrive. */
    private final class ExecOpener implements HostConnections.ChannelOpener<ChannelExec> {
        private final CommandOutput output;

        ExecOpener(CommandOutput output) {
            this.output = output;
        }

        @Override
        public ChannelExec open(ClientSession session) throws IOException {
            ChannelExec channel = session.createExecChannel(command.shellLine());
            channel.setUsePty(command.pty());
            channel.setOut(output.stdout());
            channel.setErr(output.stderr());
            OpenFuture opening = channel.open();
            if (!opening.await(openTimeout.toMillis())) {
                channel.close(true);
                throw new SshException("no answer to a channel open within " + openTimeout.toSeconds() + " s");
            }
            Throwable error = opening.getException();
            if (error != null) {
                channel.close(true);
                throw new SshException("channel open failed: " + error.getMessage(), error);
            }
            return channel;
        }

        @Override
        public ClientChannel channelOf(ChannelExec opened) {
            return opened;
        }
    }

    /** Writes stdin, then EOF, which is what lets {@code cat} and friends finish. */
    private void sendStdin(ChannelExec channel, CountDownLatch closed) throws InterruptedException {
        if (command.stdin() == null && command.pty()) {
            return; // EOF on a terminal would read as ^D typed by the user
        }
        try (OutputStream stdin = channel.getInvertedIn()) {
            if (command.stdin() != null) {
                stdin.write(command.stdin());
            }
        } catch (InterruptedIOException e) {
            stop(channel, closed);
            InterruptedException interrupted = new InterruptedException("interrupted while sending stdin");
            interrupted.initCause(e);
            throw interrupted;
        } catch (IOException e) {
            // The command ended without reading all of its input; its exit status still tells how it went.
        }
    }

    private void awaitClose(ChannelExec channel, CountDownLatch closed) throws InterruptedException {
        try {
            if (timeout == null) {
                closed.await(); // keepalives end the wait if the connection dies
                return;
            }
            if (!closed.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                stop(channel, closed);
                throw new TransportException(server, Reason.COMMAND_TIMEOUT, "`" + command.line() + "` on "
                        + server.label() + " did not finish within " + describe(timeout) + " and was stopped");
            }
        } catch (InterruptedException e) {
            stop(channel, closed);
            throw e;
        }
    }

    private CommandResult result(ChannelExec channel, Connection connection, CommandOutput output, Duration took) {
        Integer status = channel.getExitStatus();
        if (status != null) {
            return new CommandResult(server, status, output.capturedStdout(), output.stderrTail(), took);
        }
        String signal = channel.getExitSignal();
        if (signal != null) {
            // Reported the way a shell reports it: 128 + signal number, and the signal named in the error lines.
            List<String> tail = new ArrayList<>(output.stderrTail());
            tail.add("killed by signal " + signal);
            tail = tail.subList(Math.max(0, tail.size() - CommandResult.STDERR_TAIL), tail.size());
            int code = 128 + SIGNAL_NUMBERS.getOrDefault(signal, 0);
            return new CommandResult(server, code, output.capturedStdout(), tail, took);
        }
        if (!connection.isOpen()) {
            throw new TransportException(server, Reason.CONNECTION_LOST,
                    "connection to " + server.label() + " lost while running `" + command.line() + "`");
        }
        throw new TransportException(server, Reason.OTHER,
                "`" + command.line() + "` on " + server.label() + " ended without an exit status");
    }

    /** Ends the remote command and waits (briefly, uninterruptibly) for its channel to close. */
    private static void stop(ChannelExec channel, CountDownLatch closed) {
        sendSignal(channel, "TERM");
        channel.close(false);
        boolean interrupted = false;
        try {
            if (!closed.await(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                channel.close(true);
            }
        } catch (InterruptedException e) {
            interrupted = true;
            channel.close(true);
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** RFC 4254 6.9; MINA has no method for it. Best effort: the channel is closed right after anyway. */
    private static void sendSignal(ChannelExec channel, String name) {
        try {
            Buffer request = channel.getSession().createBuffer(SshConstants.SSH_MSG_CHANNEL_REQUEST, 32);
            request.putUInt(channel.getRecipient());
            request.putString("signal");
            request.putBoolean(false);
            request.putString(name);
            channel.writePacket(request);
        } catch (IOException | RuntimeException e) {
            // The channel or connection is already gone: nothing left to stop.
        }
    }

    private static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
