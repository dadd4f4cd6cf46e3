package dev.capstan.cli.output;

/**
 * Styles for console text; without colour (piped output, {@code NO_COLOR}) every style is the identity,
 * so the same rendering code writes plain text.
 *
 * @param enabled whether ANSI colours are written
 */
public record Palette(boolean enabled) {

    public String bold(String text) {
        return style("1", text);
    }

    public String dim(String text) {
        return style("2", text);
    }

    public String red(String text) {
        return style("31", text);
    }

    public String boldRed(String text) {
        return style("1;31", text);
    }

    public String green(String text) {
        return style("32", text);
    }

    public String yellow(String text) {
        return style("33", text);
    }

    public String cyan(String text) {
        return style("36", text);
    }

    /** White on red, padded by a space: the rollback banner, which must not be missed. */
    public String banner(String text) {
        return enabled ? Ansi.sgr("1;97;41", " " + text + " ") : text;
    }

    /** A host name in its own stable colour. */
    public String host(String label, String padded) {
        return style(HostColors.codeFor(label), padded);
    }

    private String style(String codes, String text) {
        return enabled && !text.isEmpty() ? Ansi.sgr(codes, text) : text;
    }
}
