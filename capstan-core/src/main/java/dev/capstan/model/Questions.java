package dev.capstan.model;

/**
 * Asks the person running capstan for the value of a variable declared with {@code cap.ask}: on the terminal for the
 * command line, an answer given in advance in tests.
 */
@FunctionalInterface
public interface Questions {
    /** No one to ask: capstan runs without a terminal. */
    Questions NONE = (prompt, echo) -> null;

    /**
     * @param prompt what to print before the answer, e.g. {@code "branch [main]: "}
     * @param echo   whether the answer may be shown as it is typed (not for a secret)
     * @return the answer as typed, or null when there is no one to ask
     */
    String ask(String prompt, boolean echo);
}
