package dev.capstan.cli.output;

import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import java.util.List;

/**
 * Hands every event to several sinks in order: the files first, so that they have an event even when the
 * console fails on it. Each sink does its own locking.
 */
public record TeeSink(List<EventSink> sinks) implements EventSink {

    public TeeSink {
        sinks = List.copyOf(sinks);
    }

    @Override
    public void emit(Event event) {
        RuntimeException failure = null;
        for (EventSink sink : sinks) {
            try {
                sink.emit(event);
            } catch (RuntimeException e) {
                // the other sinks still get the event; the first failure is the caller's to see
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
