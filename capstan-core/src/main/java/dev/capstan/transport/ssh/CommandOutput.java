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
    private final Sink stdout;
    private final Sink stderr;
    private final ByteArrayOutputStream captured;
    private final Deque<String> stderrTail = new ArrayDeque<>();
    private volatile RuntimeException listenerFailure;

    CommandOutput(Server server, OutputListener listener, boolean capture) {
        this(server, listener, capture, false);
    }

    /**
     * @param terminal whether the output comes from a pseudo-terminal, which ends lines with {@code \r\n}: the
     *                 captured stdout then gets plain {@code \n}, as without one
     */
    CommandOutput(Server server, OutputListener listener, boolean capture, boolean terminal) {
        this.server = server;
        this.listener = listener;
        this.captured = capture ? new ByteArrayOutputStream() : null;
        this.stdout = new Sink(stdoutLines, captured, terminal);
        this.stderr = new Sink(stderrLines, null, false);
    }

    /** For the channel's stdout; MINA closing it (also when an open is refused and retried) is ignored. */
    OutputStream stdout() {
        return stdout;
    }

    /** For the channel's stderr. */
    OutputStream stderr() {
        return stderr;
    }

    /** The channel is closed: hands over unfinished last lines and ignores anything later. */
    void finish() {
        stdout.finish();
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
        private final boolean dropCarriageReturns;
        /** A terminal's {@code \r} at the end of the last write, not yet known to be followed by {@code \n}. */
        private boolean pendingReturn;

        Sink(LineSplitter lines, ByteArrayOutputStream capture, boolean dropCarriageReturns) {
            this.lines = lines;
            this.capture = capture;
            this.dropCarriageReturns = dropCarriageReturns;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int count) {
            if (capture != null) {
                synchronized (capture) {
                    if (dropCarriageReturns) {
                        captureFromTerminal(bytes, offset, count);
                    } else {
                        capture.write(bytes, offset, count);
                    }
                }
            }
            lines.write(bytes, offset, count);
        }

        /** The output has ended: a held {@code \r} was not part of a line end after all. */
        void finish() {
            if (capture != null) {
                synchronized (capture) {
                    if (pendingReturn) {
                        capture.write('\r');
                        pendingReturn = false;
                    }
                }
            }
        }

        /** Captures with each {@code \r\n} as {@code \n}, also when the two arrive in separate writes. */
        private void captureFromTerminal(byte[] bytes, int offset, int count) {
            int end = offset + count;
            int start = offset;
            if (pendingReturn && count > 0) {
                pendingReturn = false;
                if (bytes[offset] != '\n') {
                    capture.write('\r');
                }
            }
            for (int i = offset; i < end; i++) {
                if (bytes[i] != '\r') {
                    continue;
                }
                if (i + 1 == end) {
                    capture.write(bytes, start, i - start);
                    pendingReturn = true;
                    return;
                }
                if (bytes[i + 1] == '\n') {
                    capture.write(bytes, start, i - start);
                    start = i + 1;
                }
            }
            capture.write(bytes, start, end - start);
        }
    }
}
