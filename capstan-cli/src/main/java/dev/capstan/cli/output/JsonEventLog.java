package dev.capstan.cli.output;

import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * {@code --json FILE}: every event as one JSON object per line (JSON lines), as described by
 * {@link EventRecord} and the README's schema. The file starts empty for each run.
 */
public final class JsonEventLog implements EventSink, AutoCloseable {
    private final LineFile file;
    private final UnaryOperator<String> mask;

    private JsonEventLog(LineFile file, UnaryOperator<String> mask) {
        this.file = file;
        this.mask = mask;
    }

    /**
     * @param mask applied to each text value: secrets are masked in events already, this is the second lock
     * @param warn told once when writing fails
     * @throws java.io.UncheckedIOException when the file cannot be created
     */
    public static JsonEventLog open(Path path, UnaryOperator<String> mask, Consumer<String> warn) {
        return new JsonEventLog(LineFile.open(path, false, warn), mask);
    }

    @Override
    public void emit(Event event) {
        file.write(Json.object(EventRecord.of(event).masked(mask)));
    }

    /** A line that is not an event (the run's start and end), in the same form. */
    public void note(java.time.Instant at, String type, java.util.List<EventRecord.Field> fields) {
        file.write(Json.object(new EventRecord(at, type, fields).masked(mask)));
    }

    @Override
    public void close() {
        file.close();
    }
}
