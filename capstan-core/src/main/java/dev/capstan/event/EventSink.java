package dev.capstan.event;

/** Receives events. Implementations must be safe to call from many threads at once. */
@FunctionalInterface
public interface EventSink {
    EventSink NONE = event -> { };

    void emit(Event event);
}
