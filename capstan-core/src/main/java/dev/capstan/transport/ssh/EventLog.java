package dev.capstan.transport.ssh;

import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import java.time.Instant;

/** The SSH layer's notes to the event stream: {@link Event.Log} events that belong to no task. */
record EventLog(EventSink sink) {

    void debug(String message) {
        log(Event.Level.DEBUG, message);
    }

    void info(String message) {
        log(Event.Level.INFO, message);
    }

    void warn(String message) {
        log(Event.Level.WARN, message);
    }

    void emit(Event event) {
        sink.emit(event);
    }

    private void log(Event.Level level, String message) {
        sink.emit(new Event.Log(Instant.now(), level, null, message));
    }
}
