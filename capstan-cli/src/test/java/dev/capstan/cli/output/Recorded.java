package dev.capstan.cli.output;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.transport.Stream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/** Recorded event sequences with fixed instants, and a console that renders them into a string. */
final class Recorded {
    static final Instant T0 = Instant.parse("2025-05-01T10:00:00Z");
    static final Server WEB1 = Server.parse("web1");
    static final Server WEB2 = Server.parse("web2");
    static final Server WEB3 = Server.parse("web3");
    static final Server WEB4 = Server.parse("web4");
    static final Server DB1 = Server.parse("db1");

    private Recorded() {
    }

    static Instant at(long ms) {
        return T0.plusMillis(ms);
    }

    static Duration ms(long ms) {
        return Duration.ofMillis(ms);
    }

    /** A deploy with a nested task, output on both streams, a failure on web2 and its rollback. */
    static List<Event> failedDeploy() {
        return List.of(
                new Event.TaskStarted(at(0), "deploy", 0, List.of(WEB1, WEB2, DB1)),
                new Event.TaskStarted(at(1), "deploy:update", 1, List.of(WEB1, WEB2)),
                new Event.CommandStarted(at(2), 1, "deploy:update", "git pull", List.of(WEB1, WEB2)),
                new Event.OutputLine(at(50), 1, WEB1, Stream.STDOUT, "Already up to date."),
                new Event.OutputLine(at(60), 1, WEB2, Stream.STDERR, "warning: shallow clone"),
                new Event.CommandFinished(at(122), 1, WEB1, 0, ms(120)),
                new Event.CommandFinished(at(132), 1, WEB2, 0, ms(130)),
                new Event.TaskFinished(at(301), "deploy:update", 1, ms(300), true, null),
                new Event.Log(at(302), Event.Level.INFO, "deploy", "restarting"),
                new Event.CommandStarted(at(303), 2, "deploy", "restart", List.of(WEB1, WEB2, DB1)),
                new Event.OutputLine(at(400), 2, WEB2, Stream.STDERR, "port in use"),
                new Event.CommandFinished(at(500), 2, WEB1, 0, ms(197)),
                new Event.CommandFinished(at(510), 2, DB1, 0, ms(207)),
                new Event.CommandFinished(at(2303), 2, WEB2, 3, ms(2000)),
                new Event.RollbackStarted(at(2304), "deploy", "`restart` failed on 1 host: web2", 1),
                new Event.RollbackStep(at(2400), "deploy", List.of(WEB1, WEB2, DB1), true, null),
                new Event.RollbackFinished(at(2401), "deploy", 1, 0),
                new Event.TaskFinished(at(2500), "deploy", 0, ms(2500), false, "`restart` failed on 1 host: web2"));
    }

    /** What a console with {@code settings} prints for {@code events}. */
    static String render(ConsoleFormatter.Settings settings, List<Event> events) {
        return render(settings, Clock.fixed(T0, ZoneOffset.UTC), console -> events.forEach(console::emit));
    }

    /** What a console prints while {@code script} drives it. */
    static String render(ConsoleFormatter.Settings settings, Clock clock, Consumer<ConsoleFormatter> script) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            ConsoleFormatter console = new ConsoleFormatter(out, settings, clock, UnaryOperator.identity());
            script.accept(console);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    static ConsoleFormatter.Settings plain(Verbosity verbosity) {
        return new ConsoleFormatter.Settings(verbosity, false, false, Terminal.PLAIN);
    }

    static ConsoleFormatter.Settings tty(Verbosity verbosity) {
        return new ConsoleFormatter.Settings(verbosity, false, false, new Terminal(true, true, 80));
    }

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        private Instant now;

        ManualClock(Instant now) {
            this.now = now;
        }

        void set(Instant instant) {
            now = instant;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
