package dev.capstan.transport.ssh;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Cuts one output stream into whole lines and hands each to a consumer as soon as its newline arrives. Lines end at
 * {@code \n}, with a preceding {@code \r} dropped; they are decoded as UTF-8 only once complete, so a character split
 * across packets stays whole. {@link #close()} hands over the last line when the output did not end with a newline.
 * A line longer than {@link #MAX_LINE_BYTES} is handed over in pieces rather than buffered without bound.
 */
final class LineSplitter extends OutputStream {

    static final int MAX_LINE_BYTES = 1 << 20;

    private final Consumer<String> lines;
    private byte[] pending = new byte[256];
    private int length;
    private boolean closed;

    LineSplitter(Consumer<String> lines) {
        this.lines = lines;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int count) {
        if (closed) {
            return; // output arriving after the command was given up on
        }
        int end = offset + count;
        int start = offset;
        for (int i = offset; i < end; i++) {
            if (bytes[i] == '\n') {
                append(bytes, start, i - start);
                emit();
                start = i + 1;
            }
        }
        append(bytes, start, end - start);
    }

    /** Hands over the unfinished last line, if any; later writes are ignored. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            if (length > 0) {
                emit();
            }
        }
    }

    private void append(byte[] bytes, int offset, int count) {
        while (count > 0) {
            int room = MAX_LINE_BYTES - length;
            int n = Math.min(count, room);
            if (length + n > pending.length) {
                pending = Arrays.copyOf(pending, Math.min(MAX_LINE_BYTES, Math.max(length + n, 2 * pending.length)));
            }
            System.arraycopy(bytes, offset, pending, length, n);
            length += n;
            offset += n;
            count -= n;
            if (length == MAX_LINE_BYTES) {
                emit();
            }
        }
    }

    private void emit() {
        int end = length > 0 && pending[length - 1] == '\r' ? length - 1 : length;
        String line = new String(pending, 0, end, StandardCharsets.UTF_8);
        length = 0;
        lines.accept(line);
    }
}
