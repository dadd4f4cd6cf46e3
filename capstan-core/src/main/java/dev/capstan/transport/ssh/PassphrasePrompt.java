package dev.capstan.transport.ssh;

/**
 * Asks the person running capstan for the passphrase of an encrypted private key. The SSH transport asks at most
 * once per key file and run (again only after a wrong answer), never while a network timer runs.
 */
@FunctionalInterface
public interface PassphrasePrompt {

    /** For runs without a terminal: every encrypted key is skipped. */
    PassphrasePrompt NONE = prompt -> null;

    /**
     * @param prompt what to show, e.g. {@code Enter passphrase for key '~/.ssh/id_ed25519': }
     * @return the passphrase (the caller wipes the array after use), or {@code null} to skip this key
     */
    char[] passphrase(String prompt);
}
