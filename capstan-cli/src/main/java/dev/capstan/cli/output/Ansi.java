package dev.capstan.cli.output;

import dev.capstan.event.EscapeSequences;
import java.util.regex.Pattern;

/** ANSI escape sequences: the few capstan writes, and removing the ones remote commands write. */
public final class Ansi {
    /** Back to column 0 and erase the line: how the status line is redrawn or removed. */
    public static final String CLEAR_LINE = "\r\u001B[2K";

    private static final Pattern ESCAPES = Pattern.compile(EscapeSequences.REGEX
            + "|[\u0000-\u0008\u000B-\u001F\u007F-\u009F]"); // other control characters (tab stays)

    private Ansi() {
    }

    /** {@code text} wrapped in the SGR {@code codes} (e.g. "1;31") and a reset. */
    public static String sgr(String codes, String text) {
        return "\u001B[" + codes + "m" + text + "\u001B[0m";
    }

    /**
     * A remote output line as plain text: what a terminal would finally show after carriage returns
     * (progress bars), without escape sequences or control characters, so that piped output stays free of
     * escape codes and a remote command cannot move the cursor or break the status line.
     */
    public static String plain(String line) {
        String text = line;
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == '\r') {
            end--;
        }
        text = text.substring(0, end);
        int cr = text.lastIndexOf('\r');
        if (cr >= 0) {
            text = text.substring(cr + 1);
        }
        return text.indexOf('\u001B') < 0 && text.chars().noneMatch(Ansi::isControl) ? text : ESCAPES.matcher(text).replaceAll("");
    }

    private static boolean isControl(int c) {
        return c != '\t' && (c < 0x20 || (c >= 0x7F && c <= 0x9F));
    }
}
