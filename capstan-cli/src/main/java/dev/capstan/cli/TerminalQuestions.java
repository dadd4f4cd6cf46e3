package dev.capstan.cli;

import dev.capstan.CancelledException;
import dev.capstan.cli.output.Terminal;
import java.io.Console;
import java.io.File;
import java.util.concurrent.TimeUnit;

/**
 * Questions asked on the terminal: a key's passphrase, the sudo password, a variable of {@code cap.ask}. One at a
 * time, whatever the threads asking; without a terminal (a pipe, CI) there is no one to ask and the answer is null,
 * so nothing waits on a stdin that never ends. Once the run is cancelled (Ctrl-C) no question is asked, and the answer
 * to one open then is dropped: the run is stopping, not going on with it.
 */
final class TerminalQuestions {
    private static volatile boolean cancelled;
    /** Whether a question is waiting for its answer, and whether that one hides what is typed. */
    private static volatile boolean open;
    private static volatile boolean hidden;

    private TerminalQuestions() {
    }

    /** Asks without echo. */
    static char[] askSecret(String prompt) {
        synchronized (TerminalQuestions.class) {
            Console console = console();
            if (console == null) {
                return null;
            }
            char[] typed = waitingFor(true, () -> console.readPassword("%s", prompt));
            return answered(typed);
        }
    }

    /** Asks with echo, or without it for a secret; null at the end of input too. */
    static String ask(String prompt, boolean echo) {
        if (!echo) {
            char[] typed = askSecret(prompt);
            return typed == null ? null : new String(typed);
        }
        synchronized (TerminalQuestions.class) {
            Console console = console();
            return console == null ? null : answered(waitingFor(false, () -> console.readLine("%s", prompt)));
        }
    }

    /** The run is stopping (Ctrl-C): questions end. @return whether one is open, waiting for Enter */
    static boolean cancel() {
        cancelled = true;
        return open;
    }

    /** For a new run in this JVM. */
    static void reset() {
        cancelled = false;
    }

    /**
     * Before capstan ends at once (a second Ctrl-C): a terminal left without echo by an open secret question gets it
     * back, which the JVM's own exit would have done and an immediate halt does not.
     */
    static void restoreEchoIfHidden() {
        if (!open || !hidden) {
            return;
        }
        try {
            Process stty = new ProcessBuilder("stty", "echo").redirectInput(new File("/dev/tty")).start();
            stty.waitFor(1, TimeUnit.SECONDS);
        } catch (Exception e) {
            // nothing more to do for the terminal; capstan ends either way
        }
    }

    private static Console console() {
        if (cancelled) {
            throw new CancelledException("interrupted before a question could be asked");
        }
        Console console = System.console();
        return console == null || !Terminal.consoleIsTerminal() ? null : console;
    }

    private static <T> T waitingFor(boolean secret, java.util.function.Supplier<T> question) {
        hidden = secret;
        open = true;
        try {
            return question.get();
        } finally {
            open = false;
        }
    }

    private static <T> T answered(T answer) {
        if (cancelled) {
            throw new CancelledException("interrupted while a question was open");
        }
        return answer;
    }
}
