package dev.capstan.transport;

import java.util.function.Supplier;

/**
 * An interactive prompt a command may print (sudo's password prompt) and how to answer it. The transport
 * watches the command's output for {@code marker}, hides it, and writes the answer and a newline to the
 * command's input. A second prompt means the answer was refused: the command is ended and fails.
 *
 * @param marker the exact prompt text, chosen by capstan so that it cannot be mistaken
 * @param answer gives the answer when the prompt appears (asked lazily: no prompt, no question); null
 *               from it means there is no answer, and the command fails
 */
public record Prompt(String marker, Supplier<String> answer) {
}
