package dev.capstan.engine;

/** How capstan runs {@code sudo}: with a prompt of its own, so that it can be recognised and answered. */
final class Sudo {
    /** The password prompt capstan asks sudo to print. */
    static final String PROMPT = "[capstan] sudo password: ";

    private Sudo() {
    }
}
