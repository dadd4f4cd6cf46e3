package dev.capstan.transport;

/** Quoting for POSIX shells. */
public final class ShellQuote {
    private ShellQuote() {
    }

    /** {@code value} as one single-quoted shell word. */
    public static String quote(String value) {
        if (!value.isEmpty() && value.chars().allMatch(c -> Character.isLetterOrDigit(c) || "@%+=:,./_-".indexOf(c) >= 0)) {
            return value;
        }
        return "'" + value.replace("'", "'\\''") + "'";
    }
}
