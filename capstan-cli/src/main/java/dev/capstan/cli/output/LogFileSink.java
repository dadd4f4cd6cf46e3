package dev.capstan.cli.output;

import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * The debug log of every run ({@code log/capstan.log} unless {@code --log FILE} or variable
 * {@code log_file} say otherwise): every event at full detail whatever the console shows, one line each,
 * {@code <ISO time> <type> name=value ...} (logfmt; values with spaces, quotes or control characters are
 * quoted and escaped as JSON strings), no ANSI codes. Appended to, run after run.
 */
public final class LogFileSink implements EventSink, AutoCloseable {
    /** Where the log goes when neither the option nor the recipe says. */
    public static final Path DEFAULT = Path.of("log", "capstan.log");
    /** The value of {@code --log} or {@code log_file} that turns the log off. */
    public static final String NONE = "none";

    private static final Pattern BARE = Pattern.compile("[A-Za-z0-9_.,:/@+\\-\\[\\]]+");

    private final LineFile file;
    private final UnaryOperator<String> mask;

    private LogFileSink(LineFile file, UnaryOperator<String> mask) {
        this.file = file;
        this.mask = mask;
    }

    /**
     * The log file to write: {@code --log} beats variable {@code log_file} beats {@link #DEFAULT}; empty
     * when the chosen value is {@code none}.
     */
    public static Optional<Path> choose(String option, Object variable) {
        String chosen = option != null ? option : variable != null ? variable.toString() : null;
        if (chosen == null || chosen.isBlank()) {
            return Optional.of(DEFAULT);
        }
        return chosen.strip().equals(NONE) ? Optional.empty() : Optional.of(Path.of(chosen.strip()));
    }

    /**
     * Opens {@code path} for appending, creating its directory.
     *
     * @throws java.io.UncheckedIOException when it cannot be opened
     */
    public static LogFileSink open(Path path, UnaryOperator<String> mask, Consumer<String> warn) {
        return new LogFileSink(LineFile.open(path, true, warn), mask);
    }

    @Override
    public void emit(Event event) {
        file.write(format(EventRecord.of(event).masked(mask)));
    }

    /** A line that is not an event (the run's start and end), in the same format. */
    public void note(Instant at, String type, List<EventRecord.Field> fields) {
        file.write(format(new EventRecord(at, type, fields).masked(mask)));
    }

    /** {@code 2025-05-01T10:00:00.123Z command_started id=3 task=deploy command="echo hi" hosts=web1,web2}. */
    static String format(EventRecord record) {
        StringBuilder out = new StringBuilder(128).append(record.time()).append(' ').append(record.type());
        for (EventRecord.Field field : record.fields()) {
            out.append(' ').append(field.name()).append('=').append(value(field.value()));
        }
        return out.toString();
    }

    private static String value(Object value) {
        String text = value instanceof List<?> list ? String.join(",", list.stream().map(String::valueOf).toList())
                : String.valueOf(value);
        return BARE.matcher(text).matches() ? text : Json.string(text);
    }

    @Override
    public void close() {
        file.close();
    }
}
