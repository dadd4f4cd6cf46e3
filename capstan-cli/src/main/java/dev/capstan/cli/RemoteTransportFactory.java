package dev.capstan.cli;

import dev.capstan.event.EventSink;
import dev.capstan.model.Configuration;
import dev.capstan.transport.Transport;
import java.util.function.Supplier;

/** Creates the SSH transport from the recipe's variables, on first use. */
final class RemoteTransportFactory {
    private RemoteTransportFactory() {
    }

    static Supplier<Transport> forConfig(Configuration config, EventSink events) {
        return () -> {
            throw new UnsupportedOperationException("SSH transport not wired yet");
        };
    }
}
