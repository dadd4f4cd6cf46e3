package dev.capstan;

/**
 * Quoting for POSIX shells, for recipes that build command lines from values:
 * {@code ctx.run("mkdir -p " + Shell.quote(path))}.
 */
public final class Shell {
    private Shell() {
    }

    /** {@code value} as one shell word: unchanged when it is plainly safe, else single-quoted. */
    public static String quote(String value) {
        if (!value.isEmpty() && value.chars().allMatch(c -> Character.isLetterOrDigit(c) || "@%+=:,./_-".indexOf(c) >= 0)) {
            return value;
        }
        return singleQuote(value);
    }

    /** {@code value} single-quoted, always: {@code it's} → {@code 'it'\''s'}. */
    public static String singleQuote(String value) {
        return "'" + value.replace("'", "'\\''") + "'";
    }
}
