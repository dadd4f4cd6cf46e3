package dev.capstan.event;

import java.util.regex.Pattern;

/**
 * The terminal escape sequences remote commands write (colours, cursor moves, window titles): what the console
 * removes from their output, and what the secret masking looks through, since they may split a secret.
 */
public final class EscapeSequences {
    /** One escape sequence, as a regular expression to build on. */
    public static final String REGEX = "\u001B\\[[0-?]*[ -/]*[@-~]"   // CSI: colours, cursor movement
            + "|\u001B\\][^\u0007\u001B]*(?:\u0007|\u001B\\\\)?"      // OSC: window titles, hyperlinks
            + "|\u001B[@-Z\\\\-_]";                                    // other two-byte escapes

    /** One escape sequence. */
    public static final Pattern PATTERN = Pattern.compile(REGEX);

    private EscapeSequences() {
    }
}
