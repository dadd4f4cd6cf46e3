package dev.capstan.engine;

import dev.capstan.CapstanException;

/**
 * The one server of an {@code eachServer} block failed under {@code onError(CONTINUE)} and was dropped: the block ends
 * there, as the task goes on without that server. Its transaction is not rolled back, as a dropped server's work is
 * not anywhere else under {@code CONTINUE}.
 */
final class ServerDropped extends CapstanException {
    private static final long serialVersionUID = 1L;

    ServerDropped(String message) {
        super(message);
    }
}
