package dev.capstan.cli.output;

import java.io.Console;
import java.lang.reflect.Method;
import java.util.Map;

/**
 * What the console output goes to: an interactive terminal (live status line allowed), whether colours
 * may be used, and how wide a line may be. Decided once per run; tests pass their own.
 *
 * @param interactive a terminal: cursor control (the status line) is allowed
 * @param colour      ANSI colours are allowed (a terminal, and no {@code NO_COLOR})
 * @param width       columns, for truncating the status line so that it never wraps
 */
public record Terminal(boolean interactive, boolean colour, int width) {
    private static final int DEFAULT_WIDTH = 80;

    /** Piped or redirected output: plain text, no escape codes at all. */
    public static final Terminal PLAIN = new Terminal(false, false, DEFAULT_WIDTH);

    public Terminal {
        if (colour && !interactive) {
            throw new IllegalArgumentException("colour needs an interactive terminal");
        }
        width = width < 20 ? DEFAULT_WIDTH : width;
    }

    /**
     * Standard output's terminal: interactive only when {@code stdout} really is the JVM's standard output
     * and that is a terminal ({@code TERM=dumb} is not); colour unless {@code NO_COLOR} is set (any value).
     */
    public static Terminal detect(Map<String, String> environment, boolean stdout) {
        return decide(stdout && consoleIsTerminal(), environment);
    }

    /** The terminal for output that is ({@code tty}) or is not a terminal, given the environment. */
    static Terminal decide(boolean tty, Map<String, String> environment) {
        if (!tty || "dumb".equals(environment.get("TERM"))) {
            return PLAIN;
        }
        return new Terminal(true, !environment.containsKey("NO_COLOR"), columns(environment.get("COLUMNS")));
    }

    /** Whether the JVM has a console and it is a terminal (from JDK 22 a console may stand for a pipe). */
    public static boolean consoleIsTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            // Console.isTerminal() exists from JDK 22; the code is compiled for 21, so look it up
            Method isTerminal = Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return true; // before JDK 22 a console exists only for a terminal
        }
    }

    private static int columns(String value) {
        try {
            return value == null ? DEFAULT_WIDTH : Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            return DEFAULT_WIDTH;
        }
    }
}
