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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.client.channel.ClientChannel;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.common.SshException;

/**
 * Runs one command on its own exec channel and waits until the channel has closed: the exit status can arrive before
 * the last output, the close cannot. A command that outlives its timeout, or whose caller is interrupted, is stopped:
 * sent SIGTERM (OpenSSH does not end a command without a pty just because its channel closes) and its channel closed.
 *
 * <p>A command with a {@link dev.capstan.transport.Prompt} (sudo) has its output watched for the prompt
 * ({@link PromptWatch}); the caller's thread answers it, and fails the command when there is no answer or when the
 * prompt comes back (the answer was refused).
 */
final class RemoteCommand {

    /** The event that the channel has closed; prompts are counted from 1. */
    private static final int CLOSED = 0;
    /** How long a stopped command's channel may take to close before it is dropped. */
    private static final long CLOSE_WAIT_MILLIS = 2000;
    /** How long a command whose signal was refused may take to report its exit, as it does when it ended just then. */
    private static final long REFUSED_GRACE_MILLIS = 250;
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
    private final EventLog log;

    /**
     * @param timeout     how long the command may run, or {@code null} for no limit
     * @param openTimeout how long the server may take to answer the channel open
     * @param log         told when a command that was stopped may still be running
     */
    RemoteCommand(Server server, Command command, Duration timeout, Duration openTimeout, OutputListener listener,
            EventLog log) {
        this.server = server;
        this.command = command;
        this.timeout = timeout;
        this.openTimeout = openTimeout;
        this.listener = listener;
        this.log = log;
    }

    CommandResult run(HostConnections host) throws InterruptedException {
        CommandOutput output = new CommandOutput(server, listener, command.capture(), command.pty());
        // Channel closed (CLOSED) and prompts seen (their running count), in the order they happened.
        BlockingQueue<Integer> events = new LinkedBlockingQueue<>();
        PromptWatch prompts = command.prompt() == null ? null : new PromptWatch(command.prompt(), events::add);
        PromptWatch.Filter stdout = prompts == null ? null : prompts.filter(output.stdout());
        PromptWatch.Filter stderr = prompts == null ? null : prompts.filter(output.stderr());
        OutputStream out = prompts == null ? output.stdout() : stdout;
        OutputStream err = prompts == null ? output.stderr() : stderr;
        HostConnections.ExecStart start = channel -> {
            // Output wired before any byte can arrive.
            channel.setUsePty(command.pty());
            channel.setOut(out);
            channel.setErr(err);
            channel.launch(command.shellLine());
            awaitOpen(channel, channel.opening(), openTimeout);
        };
        try (ChannelLease<ExecChannel> lease = host.leaseExec(server, start)) {
            long started = System.nanoTime();
            ExecChannel channel = lease.channel();
            CountDownLatch closed = new CountDownLatch(1);
            channel.addCloseFutureListener(f -> {
                closed.countDown();
                events.add(CLOSED);
            });
            sendStdin(channel, closed);
            awaitClose(channel, closed, events, prompts);
            if (prompts != null) {
                stdout.finish();
                stderr.finish();
            }
            output.finish();
            output.rethrowListenerFailure();
            return result(channel, lease.connection(), output, Duration.ofNanos(System.nanoTime() - started));
        }
    }

    /**
     * Writes stdin, then EOF, which is what lets {@code cat} and friends finish. Without stdin to send, a terminal
     * gets no EOF (it would read as ^D typed by the user), nor does a command with a prompt to answer.
     */
    private void sendStdin(ExecChannel channel, CountDownLatch closed) throws InterruptedException {
        if (command.stdin() == null && (command.pty() || command.prompt() != null)) {
            return;
        }
        try (OutputStream stdin = channel.getInvertedIn()) {
            if (command.stdin() != null) {
                stdin.write(command.stdin());
            }
        } catch (InterruptedIOException e) {
            end(channel, closed);
            throw interrupted("interrupted while sending stdin", e);
        } catch (IOException e) {
            // The command ended without reading all of its input; its exit status still tells how it went.
        }
    }

    /**
     * Waits until the channel has closed, answering prompts meanwhile. The time spent getting an answer (a person
     * typing a password) does not count against the command's timeout.
     */
    private void awaitClose(ExecChannel channel, CountDownLatch closed, BlockingQueue<Integer> events,
            PromptWatch prompts) throws InterruptedException {
        long deadline = timeout == null ? 0 : System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                Integer event;
                if (timeout == null) {
                    event = events.take(); // keepalives end the wait if the connection dies
                } else {
                    long left = deadline - System.nanoTime();
                    event = left > 0 ? events.poll(left, TimeUnit.NANOSECONDS) : null;
                }
                if (event == null) {
                    // a command on a pty ends anyway: closing the channel hangs its terminal up
                    boolean stopped = stop(channel, closed) || command.pty();
                    throw new TransportException(server, Reason.COMMAND_TIMEOUT, "`" + command.line() + "` on "
                            + server.label() + " did not finish within " + describe(timeout)
                            + (stopped ? " and was stopped" : "; " + notStopped(server)));
                }
                if (event == CLOSED) {
                    return;
                }
                long asking = System.nanoTime();
                answer(channel, closed, prompts, event);
                deadline += System.nanoTime() - asking;
            }
        } catch (InterruptedException e) {
            end(channel, closed);
            throw e;
        }
    }

    /**
     * Answers the {@code count}th prompt: the first with the prompt's answer, asked for only now; a second one means
     * the answer was refused. The answer is never part of a message.
     */
    private void answer(ExecChannel channel, CountDownLatch closed, PromptWatch prompts, int count)
            throws InterruptedException {
        if (closed.getCount() == 0) {
            return; // the command ended on its own; its exit status tells how
        }
        if (count > 1) {
            end(channel, closed);
            throw new TransportException(server, Reason.OTHER, "sudo on " + server.label() + " refused the password");
        }
        String answer;
        try {
            answer = command.prompt().answer().get();
        } catch (RuntimeException e) {
            end(channel, closed);
            throw e;
        }
        if (answer == null) {
            end(channel, closed);
            throw new TransportException(server, Reason.OTHER, "sudo on " + server.label() + " asked for a password:"
                    + " set sudo_password (cap.secret) or run capstan from a terminal");
        }
        prompts.answering(answer);
        try {
            OutputStream stdin = channel.getInvertedIn();
            stdin.write(answer.getBytes(StandardCharsets.UTF_8));
            stdin.write('\n');
            stdin.flush();
        } catch (InterruptedIOException e) {
            end(channel, closed);
            throw interrupted("interrupted while answering a prompt", e);
        } catch (IOException e) {
            // The command ended before reading the answer; its close and exit status tell the rest.
        }
    }

    private CommandResult result(ExecChannel channel, Connection connection, CommandOutput output, Duration took) {
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

    /** Waits at most {@code openTimeout} for the server's answer to the open of {@code channel}. */
    static void awaitOpen(ClientChannel channel, OpenFuture opening, Duration openTimeout) throws IOException {
        if (!opening.await(openTimeout.toMillis())) {
            channel.close(true);
            throw new SshException("no answer to a channel open within " + openTimeout.toSeconds() + " s");
        }
        Throwable error = opening.getException();
        if (error != null) {
            channel.close(true);
            throw new SshException("channel open failed: " + error.getMessage(), error);
        }
    }

    /**
     * Ends the remote command: SIGTERM, then the channel closed, waiting (briefly, uninterruptibly) for the server to
     * close it too.
     *
     * @return false when the server refused the signal (OpenSSH does for a root login): the command may still be
     *         running, and the channel is dropped without waiting for a close that comes only when it ends
     */
    static boolean stop(ExecChannel channel, CountDownLatch closed) {
        CountDownLatch settled = new CountDownLatch(1);
        CompletableFuture<Boolean> delivered;
        try {
            delivered = channel.signal("TERM");
        } catch (IOException | RuntimeException e) {
            delivered = CompletableFuture.completedFuture(true); // the channel or connection is gone: nothing to stop
        }
        delivered.thenAccept(ok -> {
            if (!ok) {
                settled.countDown();
            }
        });
        channel.addCloseFutureListener(f -> settled.countDown());
        channel.close(false);
        boolean interrupted = false;
        boolean refused = false;
        try {
            settled.await(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            refused = Boolean.FALSE.equals(delivered.getNow(null));
            if (refused) {
                // sshd also refuses once the command has just ended on its own: then its exit status follows at once
                channel.waitFor(EnumSet.of(ClientChannelEvent.EXIT_STATUS, ClientChannelEvent.EXIT_SIGNAL),
                        REFUSED_GRACE_MILLIS);
                refused = channel.getExitStatus() == null && channel.getExitSignal() == null;
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (closed.getCount() > 0) {
            channel.close(true);
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return !refused;
    }

    /** Stops the command as {@link #stop} does, and says so when it may still be running. */
    private void end(ExecChannel channel, CountDownLatch closed) {
        if (!stop(channel, closed) && !command.pty()) {
            log.warn("`" + command.line() + "` was stopped here, but " + notStopped(server));
        }
    }

    /** Why a stopped command may still be running, for the messages about it. */
    static String notStopped(Server server) {
        return "the server refused the signal to stop it (as OpenSSH does for a root or forced-command login), so it"
                + " may still be running on " + server.label();
    }

    private static InterruptedException interrupted(String message, Exception cause) {
        InterruptedException interrupted = new InterruptedException(message);
        interrupted.initCause(cause);
        return interrupted;
    }

    static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
