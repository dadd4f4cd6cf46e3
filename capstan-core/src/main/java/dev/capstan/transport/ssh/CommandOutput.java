package dev.capstan.transport.ssh;

import dev.capstan.Server;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.Stream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Where one command's output goes: every whole line to the {@link OutputListener} as it arrives (each stream cut
 * into lines on its own, so a line never mixes streams or hosts), the last {@link CommandResult#STDERR_TAIL} stderr
 * lines for the result, and the raw stdout when the command captures it. MINA writes from its I/O threads.
 */
final class CommandOutput {

    private final Server server;
    private final OutputListener listener;
    private final LineSplitter stdoutLines = new LineSplitter(line -> deliver(Stream.STDOUT, line));
    private final LineSplitter stderrLines = new LineSplitter(this::stderrLine);
    private final ByteArrayOutputStream captured;
    private final Deque<String> stderrTail = new ArrayDeque<>();
    private volatile RuntimeException listenerFailure;

    CommandOutput(Server server, OutputListener listener, boolean capture) {
        this.server = server;
        this.listener = listener;
        this.captured = capture ? new ByteArrayOutputStream() : null;
    }

    /** For the channel's stdout; MINA closing it (also when an open is refused and retried) is ignored. */
    OutputStream stdout() {
        return new Sink(stdoutLines, captured);
    }

    /** For the channel's stderr. */
    OutputStream stderr() {
        return new Sink(stderrLines, null);
    }

    /** The channel is closed: hands over unfinished last lines and ignores anything later. */
    void finish() {
        stdoutLines.close();
        stderrLines.close();
    }

    /** The whole stdout when capturing, else "". */
    String capturedStdout() {
        if (captured == null) {
            return "";
        }
        synchronized (captured) {
            return captured.toString(StandardCharsets.UTF_8);
        }
    }

    List<String> stderrTail() {
        synchronized (stderrTail) {
            return List.copyOf(stderrTail);
        }
    }

    /** Rethrows on the caller's thread what the listener threw on MINA's (it got no more lines after that). */
    void rethrowListenerFailure() {
        RuntimeException failure = listenerFailure;
        if (failure != null) {
            throw failure;
        }
    }

    private void stderrLine(String line) {
        synchronized (stderrTail) {
            if (stderrTail.size() == CommandResult.STDERR_TAIL) {
                stderrTail.removeFirst();
            }
            stderrTail.addLast(line);
        }
        deliver(Stream.STDERR, line);
    }

    private void deliver(Stream stream, String line) {
        if (listenerFailure != null) {
            return;
        }
        try {
            listener.line(server, stream, line);
        } catch (RuntimeException e) {
            // Thrown into MINA it would tear down the whole connection; the caller gets it instead.
            listenerFailure = e;
        }
    }

    /** Feeds a splitter (and the capture buffer); never closes it, {@link #finish()} does. */
    private static final class Sink extends OutputStream {
        private final LineSplitter lines;
        private final ByteArrayOutputStream capture;

        Sink(LineSplitter lines, ByteArrayOutputStream capture) {
            this.lines = lines;
            this.capture = capture;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int count) {
            if (capture != null) {
                synchronized (capture) {
                    capture.write(bytes, offset, count);
                }
            }
            lines.write(bytes, offset, count);
        }
    }
}
