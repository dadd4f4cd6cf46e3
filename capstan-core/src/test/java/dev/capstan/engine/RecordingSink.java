package dev.capstan.engine;

import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import java.util.ArrayList;
import java.util.List;

/** Keeps every event, in order, for assertions. */
final class RecordingSink implements EventSink {
    private final List<Event> events = new ArrayList<>();

    @Override
    public synchronized void emit(Event event) {
        events.add(event);
    }

    synchronized List<Event> all() {
        return List.copyOf(events);
    }

    synchronized <T extends Event> List<T> of(Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** The command lines started, in order. */
    List<String> commands() {
        return of(Event.CommandStarted.class).stream().map(Event.CommandStarted::line).toList();
    }

    /** Output lines, as "host: line". */
    List<String> output() {
        return of(Event.OutputLine.class).stream().map(e -> e.server().label() + ": " + e.line()).toList();
    }
}
