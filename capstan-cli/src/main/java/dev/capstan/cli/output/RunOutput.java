package dev.capstan.cli.output;

import dev.capstan.ConfigException;
import dev.capstan.event.EventSink;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Everything one run writes, wired together: the console (with its status line), the summary, the log
 * file and the JSON log. The engine gets {@link #sink()}; the caller prints the end of the run through
 * {@link #finish}, which also takes care that the status line is gone first.
 *
 * <pre>{@code
 * try (RunOutput output = RunOutput.open(out, err, settings, logFile, jsonFile, secrets::mask, Clock.systemUTC())) {
 *     ... new Engine(config, options, transports, output.sink()) ...
 *     output.finish(status, error);
 * }
 * }</pre>
 */
public final class RunOutput implements AutoCloseable {
    private final PrintStream out;
    private final PrintStream err;
    private final ConsoleFormatter.Settings settings;
    private final UnaryOperator<String> mask;
    private final Clock clock;
    private final ConsoleFormatter console;
    private final Summary summary;
    private final LogFileSink log;
    private final JsonEventLog json;
    private final EventSink sink;

    private RunOutput(PrintStream out, PrintStream err, ConsoleFormatter.Settings settings, UnaryOperator<String> mask,
                      Clock clock, Optional<Path> logFile, Path jsonFile) {
        this.out = out;
        this.err = err;
        this.settings = settings;
        this.mask = mask;
        this.clock = clock;
        this.console = new ConsoleFormatter(out, settings, clock, mask);
        this.summary = new Summary(settings.dryRun(), new HostListCompressor(mask));
        this.log = logFile.map(this::openLog).orElse(null);
        try {
            this.json = jsonFile == null ? null : JsonEventLog.open(jsonFile, mask, this::warn);
        } catch (UncheckedIOException e) {
            if (log != null) {
                log.close();
            }
            throw new ConfigException("--json: cannot write " + e.getMessage());
        }
        List<EventSink> sinks = new ArrayList<>();
        if (log != null) {
            sinks.add(log);
        }
        if (json != null) {
            sinks.add(json);
        }
        sinks.add(summary);
        sinks.add(console);
        this.sink = new TeeSink(sinks);
        List<EventRecord.Field> started = List.of(new EventRecord.Field("dry_run", settings.dryRun()));
        if (log != null) {
            log.note(clock.instant(), "run_started", started);
        }
        if (json != null) {
            json.note(clock.instant(), "run_started", started);
        }
    }

    /**
     * @param logFile  the debug log, or empty for none; a log that cannot be written is a warning only
     * @param jsonFile the JSON-lines event log, or null for none
     * @param mask     masks secrets in every line written anywhere
     * @throws ConfigException when the JSON log cannot be created: the user asked for it by name
     */
    public static RunOutput open(PrintStream out, PrintStream err, ConsoleFormatter.Settings settings, Optional<Path> logFile,
                                 Path jsonFile, UnaryOperator<String> mask, Clock clock) {
        return new RunOutput(out, err, settings, mask, clock, logFile, jsonFile);
    }

    private LogFileSink openLog(Path path) {
        try {
            return LogFileSink.open(path, mask, this::warn);
        } catch (UncheckedIOException e) {
            warn("cannot write the log file " + e.getMessage() + " (choose another with --log FILE, or --log none)");
            return null;
        }
    }

    private void warn(String message) {
        console.aside(() -> {
            err.println("capstan: warning: " + mask.apply(message));
            return null;
        });
    }

    /** What the engine reports to. */
    public EventSink sink() {
        return sink;
    }

    /**
     * Runs {@code work} (a password prompt) with the status line erased and the console held until it
     * returns, so that neither the status line nor output lines write over the prompt.
     */
    public <T> T aside(Supplier<T> work) {
        return console.aside(work);
    }

    /** Starts the live status line (on an interactive terminal only). */
    public void start() {
        console.start();
    }

    /**
     * The end of the run: the status line goes, the summary follows (at every verbosity, when any task
     * ran), then {@code capstan: <error>} on standard error when there is one; both also go to the log.
     *
     * @param status the exit status
     * @param error  why the run failed, or null
     */
    public void finish(int status, String error) {
        console.close();
        if (!summary.isEmpty()) {
            List<String> lines = summary.render(new Palette(settings.terminal().colour()), Glyphs.forCharset(out.charset()));
            if (settings.verbosity().shows(Verbosity.NORMAL)) {
                out.println(); // apart from the run's output; under -q it is all there is
            }
            lines.forEach(line -> out.println(mask.apply(line)));
            out.flush();
        }
        if (error != null) {
            // plain text: the error quotes the commands' stderr, which may hold escape codes
            err.println("capstan: " + mask.apply(String.join("\n", error.lines().map(Ansi::plain).toList())));
            err.flush();
        }
        List<EventRecord.Field> fields = new ArrayList<>(List.of(new EventRecord.Field("exit", status)));
        if (error != null) {
            fields.add(new EventRecord.Field("error", error));
        }
        if (log != null) {
            log.note(clock.instant(), "run_finished", fields);
        }
        if (json != null) {
            json.note(clock.instant(), "run_finished", fields);
        }
    }

    @Override
    public void close() {
        console.close();
        if (log != null) {
            log.close();
        }
        if (json != null) {
            json.close();
        }
    }
}
