package dev.capstan.testkit;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;

/**
 * A host's command with its streams followed by the channel history: what the client sent to stdin before the
 * command's first output went back ({@link ServedChannel#earlyInput()}).
 */
final class ObservedStreams implements Command {

    private final Command command;
    private final Channel channel;
    private final ChannelHistory history;

    ObservedStreams(Command command, Channel channel, ChannelHistory history) {
        this.command = command;
        this.channel = channel;
        this.history = history;
    }

    @Override
    public void setInputStream(InputStream in) {
        command.setInputStream(new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    history.input(channel, new byte[] {(byte) b}, 0, 1);
                }
                return b;
            }

            @Override
            public int read(byte[] bytes, int offset, int length) throws IOException {
                int n = super.read(bytes, offset, length);
                if (n > 0) {
                    history.input(channel, bytes, offset, n);
                }
                return n;
            }
        });
    }

    @Override
    public void setOutputStream(OutputStream out) {
        command.setOutputStream(answering(out));
    }

    @Override
    public void setErrorStream(OutputStream err) {
        command.setErrorStream(answering(err));
    }

    private OutputStream answering(OutputStream to) {
        return new FilterOutputStream(to) {
            @Override
            public void write(int b) throws IOException {
                history.output(channel);
                out.write(b);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                history.output(channel);
                out.write(bytes, offset, length);
            }
        };
    }

    @Override
    public void setExitCallback(ExitCallback callback) {
        command.setExitCallback(callback);
    }

    @Override
    public void start(ChannelSession session, Environment env) throws IOException {
        command.start(session, env);
    }

    @Override
    public void destroy(ChannelSession session) throws Exception {
        command.destroy(session);
    }
}
