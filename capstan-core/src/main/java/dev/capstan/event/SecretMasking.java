package dev.capstan.event;

import java.util.Collection;
import java.util.function.Supplier;

/**
 * Replaces every secret value by {@code ****} in the text of every event before it reaches a formatter or
 * log, so that secrets (sudo passwords, variables set with {@code cap.secret}) never appear in output, not
 * even inside a command line.
 */
public final class SecretMasking implements EventSink {
    public static final String MASK = "****";

    private final EventSink delegate;
    private final Supplier<? extends Collection<String>> secrets;

    /** @param secrets the current secret values, longest first */
    public SecretMasking(EventSink delegate, Supplier<? extends Collection<String>> secrets) {
        this.delegate = delegate;
        this.secrets = secrets;
    }

    @Override
    public void emit(Event event) {
        delegate.emit(mask(event));
    }

    /** {@code text} with every secret value masked. */
    public String mask(String text) {
        if (text == null) {
            return null;
        }
        String result = text;
        for (String secret : secrets.get()) {
            if (result.contains(secret)) {
                result = result.replace(secret, MASK);
            }
        }
        return result;
    }

    private Event mask(Event event) {
        return switch (event) {
            case Event.Log e -> new Event.Log(e.at(), e.level(), e.task(), mask(e.message()));
            case Event.CommandStarted e -> new Event.CommandStarted(e.at(), e.id(), e.task(), mask(e.line()), e.servers(), e.checked(), e.block());
            case Event.HostsDropped e -> new Event.HostsDropped(e.at(), e.task(), e.servers(), mask(e.reason()));
            case Event.OutputLine e -> new Event.OutputLine(e.at(), e.id(), e.server(), e.stream(), mask(e.line()));
            case Event.CommandFailed e -> new Event.CommandFailed(e.at(), e.id(), e.server(), mask(e.reason()), e.duration());
            case Event.TaskFinished e -> new Event.TaskFinished(e.at(), e.task(), e.depth(), e.duration(), e.succeeded(), mask(e.failure()));
            case Event.RollbackStarted e -> new Event.RollbackStarted(e.at(), e.task(), mask(e.cause()), e.handlers());
            case Event.RollbackStep e -> new Event.RollbackStep(e.at(), e.task(), e.servers(), e.succeeded(), mask(e.failure()));
            case Event.BlockFinished e -> new Event.BlockFinished(e.at(), e.id(), e.block(), e.name(), e.duration(), mask(e.failure()));
            default -> event;
        };
    }
}
