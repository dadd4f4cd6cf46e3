package dev.capstan.transport.ssh;

import dev.capstan.transport.Prompt;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Watches one command's output streams for its {@link Prompt}'s marker (sudo's password prompt), which usually ends
 * a line that never gets its newline while sudo waits. The marker is found wherever it is, also split across
 * packets, and is taken out of the output; the command's own thread is told ({@code prompted}) and answers.
 *
 * <p>What follows a prompt on its line is held back until the line ends: when it is empty (sudo ends the prompt's
 * line itself once the password is read) or is exactly the answer (a terminal that echoed it), it is dropped too,
 * so the answer never reaches lines, capture or logs. Anything else is output as usual.
 *
 * <p>MINA writes from its I/O threads; answering happens on the caller's thread, never on MINA's, because getting
 * the answer may mean asking a person.
 */
final class PromptWatch {

    private final byte[] marker;
    private final IntConsumer prompted;
    private final AtomicInteger prompts = new AtomicInteger();
    /** Set (before it is sent) once the answer is known; until then nothing after a prompt can be its echo. */
    private volatile byte[] answer;

    /** @param prompted told the running count (1, 2, ...) each time the marker appears, on MINA's thread */
    PromptWatch(Prompt prompt, IntConsumer prompted) {
        this.marker = prompt.marker().getBytes(StandardCharsets.UTF_8);
        this.prompted = prompted;
    }

    /** A stream that takes prompts (and their answer's echo) out of what it passes to {@code out}. */
    Filter filter(OutputStream out) {
        return new Filter(out);
    }

    /** The answer about to be written: from now on its echo is recognised. */
    void answering(String text) {
        answer = text.getBytes(StandardCharsets.UTF_8);
    }

    /** One output stream's filter; {@link #finish()} passes on what is still held when the command has ended. */
    final class Filter extends OutputStream {
        private final OutputStream out;
        private final MarkerScanner scanner = new MarkerScanner(marker);
        /** The rest of a prompt's line, held back until it shows whether it is the answer's echo; null otherwise. */
        private ByteArrayOutputStream afterPrompt;
        private boolean finished;

        private Filter(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] bytes, int offset, int count) {
            if (finished) {
                return;
            }
            while (count > 0) {
                if (afterPrompt != null) {
                    int used = holdAfterPrompt(bytes, offset, count);
                    offset += used;
                    count -= used;
                    continue;
                }
                int used = scanner.scan(bytes, offset, count, this::pass);
                if (used < 0) {
                    return;
                }
                offset += used;
                count -= used;
                afterPrompt = new ByteArrayOutputStream();
                prompted.accept(prompts.incrementAndGet());
            }
        }

        /** The command has ended: passes on whatever was held back. */
        synchronized void finish() {
            if (finished) {
                return;
            }
            while (afterPrompt != null) {
                byte[] held = afterPrompt.toByteArray();
                afterPrompt = null;
                if (!isEcho(held, held.length)) {
                    write(held, 0, held.length); // consumes bytes, so this ends even if they hold a prompt
                }
            }
            scanner.flush(this::pass);
            finished = true;
        }

        /** Takes bytes of a prompt's line up to its newline; returns how many it took. */
        private int holdAfterPrompt(byte[] bytes, int offset, int count) {
            int newline = -1;
            for (int i = offset; i < offset + count; i++) {
                if (bytes[i] == '\n') {
                    newline = i;
                    break;
                }
            }
            int used = newline < 0 ? count : newline + 1 - offset;
            afterPrompt.write(bytes, offset, used);
            byte[] held = afterPrompt.toByteArray();
            if (newline >= 0) {
                afterPrompt = null;
                int length = held.length - 1;
                if (!isEcho(held, length)) {
                    write(held, 0, held.length); // ordinary output after all (it may even hold another prompt)
                }
            } else if (!mayBeEcho(held)) {
                afterPrompt = null;
                write(held, 0, held.length);
            }
            return used;
        }

        /** Whether {@code line[0, length)} (a whole line without its newline) is nothing or the answer's echo. */
        private boolean isEcho(byte[] line, int length) {
            int end = length > 0 && line[length - 1] == '\r' ? length - 1 : length;
            byte[] known = answer;
            return end == 0 || (known != null && Arrays.equals(line, 0, end, known, 0, known.length));
        }

        /** Whether an unfinished line after a prompt can still turn out to be the answer's echo. */
        private boolean mayBeEcho(byte[] held) {
            int end = held.length > 0 && held[held.length - 1] == '\r' ? held.length - 1 : held.length;
            byte[] known = answer;
            if (known == null) {
                return end == 0;
            }
            return end <= known.length && Arrays.equals(held, 0, end, known, 0, end);
        }

        private void pass(byte[] bytes, int offset, int count) {
            try {
                out.write(bytes, offset, count);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e); // our sinks never throw
            }
        }
    }
}
