package dev.capstan.engine;

/** Asks the person running capstan for a secret, such as the sudo password, without echo. */
@FunctionalInterface
public interface SecretPrompt {
    /** For runs without a terminal: nobody to ask. */
    SecretPrompt NONE = prompt -> null;

    /** @return the secret, or {@code null} when it cannot be asked */
    char[] ask(String prompt);
}
