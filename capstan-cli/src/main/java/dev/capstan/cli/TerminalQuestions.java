package dev.capstan.cli;

import dev.capstan.cli.output.Terminal;
import java.io.Console;

/**
 * Questions asked on the terminal: a key's passphrase, the sudo password, a variable of {@code cap.ask}. One at a
 * time, whatever the threads asking; without a terminal (a pipe, CI) there is no one to ask and the answer is null,
 * so nothing waits on a stdin that never ends.
 */
final class TerminalQuestions {
    private TerminalQuestions() {
    }

    /** Asks without echo. */
    static char[] askSecret(String prompt) {
        synchronized (TerminalQuestions.class) {
            Console console = System.console();
            return console == null || !Terminal.consoleIsTerminal() ? null : console.readPassword("%s", prompt);
        }
    }

    /** Asks with echo, or without it for a secret; null at the end of input too. */
    static String ask(String prompt, boolean echo) {
        if (!echo) {
            char[] typed = askSecret(prompt);
            return typed == null ? null : new String(typed);
        }
        synchronized (TerminalQuestions.class) {
            Console console = System.console();
            return console == null || !Terminal.consoleIsTerminal() ? null : console.readLine("%s", prompt);
        }
    }
}
