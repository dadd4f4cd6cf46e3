package dev.capstan.engine;

import dev.capstan.CapstanException;

/**
 * A command found every server of its task dropped after failures ({@code onError(CONTINUE)}): a task run in groups
 * goes on with its next group; any other task fails with this message.
 */
final class EveryServerDropped extends CapstanException {
    private static final long serialVersionUID = 1L;

    EveryServerDropped(String message) {
        super(message);
    }
}
