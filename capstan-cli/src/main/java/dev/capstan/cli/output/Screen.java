package dev.capstan.cli.output;

import java.io.PrintStream;
import java.util.function.UnaryOperator;

/**
 * The console's output stream with at most one status line at its bottom. A status line is written
 * without a newline and erased ({@code \r ESC[2K}) before any normal line, so the two never mix. Every
 * text passes the secret mask last. Not thread-safe: its owner writes under one lock.
 */
final class Screen {
    private final PrintStream out;
    private final UnaryOperator<String> mask;
    private String status;

    Screen(PrintStream out, UnaryOperator<String> mask) {
        this.out = out;
        this.mask = mask;
    }

    /** One normal line, below nothing: the status line, if shown, is erased first. */
    void line(String text) {
        clearStatus();
        out.print(mask.apply(text) + "\n");
    }

    /** Shows {@code text} as the status line (null removes it); unchanged text is not rewritten. */
    void status(String text) {
        if (text == null) {
            clearStatus();
        } else if (!text.equals(status)) {
            out.print(Ansi.CLEAR_LINE + mask.apply(text));
            status = text;
        }
    }

    /** Whether a status line is on the screen. */
    boolean showsStatus() {
        return status != null;
    }

    void clearStatus() {
        if (status != null) {
            out.print(Ansi.CLEAR_LINE);
            status = null;
        }
    }

    void flush() {
        out.flush();
    }
}
