package dev.capstan.transport.ssh;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.sshd.client.channel.PtyCapableChannelSession;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.core.CoreModuleProperties;

/**
 * A session channel that is opened first and told its command later, so that it can be opened ahead of need: a
 * command that finds one ready costs one round trip (exec until close) instead of two (open, then exec). MINA's
 * {@code ChannelExec} takes its command when it is made and sends it the moment the server confirms the open.
 *
 * <p>The command goes out exactly once: on {@link #launch} if the server has confirmed the open by then, else with
 * the confirmation.
 */
final class ExecChannel extends PtyCapableChannelSession {

    private final Object launching = new Object();
    /** Guarded by {@link #launching}. */
    private boolean confirmed;
    /** Guarded by {@link #launching}; null until {@link #launch}. */
    private byte[] command;
    private volatile OpenFuture opening;
    /** The answers still to come to {@link #signal}s sent, in order. */
    private final Queue<CompletableFuture<Boolean>> signalAnswers = new ConcurrentLinkedQueue<>();

    private ExecChannel() {
        super(false, null, Map.of());
    }

    /** Registers a new channel on {@code session} and sends the open; does not wait for the answer. */
    static ExecChannel openOn(ClientSession session) throws IOException {
        ExecChannel channel = registeredOn(session);
        channel.requestOpen();
        return channel;
    }

    /** Registers a new channel on {@code session}, to be opened with {@link #requestOpen()}. */
    static ExecChannel registeredOn(ClientSession session) throws IOException {
        ExecChannel channel = new ExecChannel();
        session.getService(ConnectionService.class).registerChannel(channel);
        return channel;
    }

    /** Sends the open; does not wait for the answer. */
    void requestOpen() throws IOException {
        opening = open();
    }

    /** The server's answer to the open. */
    OpenFuture opening() {
        return opening;
    }

    /**
     * Runs {@code command} on this channel. Output streams and the pty flag must be set before; the pty request (if
     * any) and the command are sent now, or when the server confirms the open.
     */
    void launch(String command) throws IOException {
        synchronized (launching) {
            if (this.command != null) {
                throw new IllegalStateException("a command was launched on this channel already");
            }
            this.command = command.getBytes(StandardCharsets.UTF_8);
            if (!confirmed) {
                return; // doOpen sends it
            }
        }
        sendCommand();
    }

    @Override
    protected void doOpen() throws IOException {
        synchronized (launching) {
            confirmed = true;
            if (command == null) {
                return; // a spare: launch sends it
            }
        }
        sendCommand();
    }

    private void sendCommand() throws IOException {
        // Streams first: output may come back as soon as the request is out.
        super.doOpen();
        doOpenPty();
        boolean wantReply = CoreModuleProperties.REQUEST_EXEC_REPLY.getRequired(this);
        Buffer request = getSession().createBuffer(SshConstants.SSH_MSG_CHANNEL_REQUEST, command.length + 32);
        request.putUInt(getRecipient());
        request.putString(Channel.CHANNEL_EXEC);
        request.putBoolean(wantReply);
        request.putBytes(command);
        addPendingRequest(Channel.CHANNEL_EXEC, wantReply);
        writePacket(request);
    }

    /**
     * Sends {@code signal} (RFC 4254 6.9, "TERM") to the command, asking for an answer: completes with whether the
     * server delivered it. OpenSSH refuses for a root login (no privilege separation after such a login), and the
     * command then goes on running whatever the channel does.
     */
    CompletableFuture<Boolean> signal(String name) throws IOException {
        CompletableFuture<Boolean> answer = new CompletableFuture<>();
        Buffer request = getSession().createBuffer(SshConstants.SSH_MSG_CHANNEL_REQUEST, 32);
        request.putUInt(getRecipient());
        request.putString("signal");
        request.putBoolean(true);
        request.putString(name);
        signalAnswers.add(answer);
        writePacket(request);
        return answer;
    }

    // The server answers a channel's requests in order: the exec request's answer (when asked for) comes first.
    @Override
    public void handleSuccess() throws IOException {
        if (removePendingRequest(Channel.CHANNEL_EXEC) == null) {
            answerSignal(true);
        }
    }

    @Override
    public void handleFailure() throws IOException {
        if (removePendingRequest(Channel.CHANNEL_EXEC) != null) {
            close(false); // the server would not run it; gracefully, so that it lets go of the channel too
        } else {
            answerSignal(false);
        }
    }

    private void answerSignal(boolean delivered) {
        CompletableFuture<Boolean> answer = signalAnswers.poll();
        if (answer != null) {
            answer.complete(delivered);
        }
    }
}
