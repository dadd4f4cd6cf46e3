package dev.capstan.cli.output;

import static dev.capstan.cli.output.Recorded.DB1;
import static dev.capstan.cli.output.Recorded.WEB1;
import static dev.capstan.cli.output.Recorded.WEB2;
import static dev.capstan.cli.output.Recorded.WEB3;
import static dev.capstan.cli.output.Recorded.WEB4;
import static dev.capstan.cli.output.Recorded.at;
import static dev.capstan.cli.output.Recorded.ms;
import static dev.capstan.cli.output.Recorded.render;
import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.event.Event;
import dev.capstan.transport.Stream;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class GroupedOutputTest {

    private static ConsoleFormatter.Settings grouped(Verbosity verbosity) {
        return new ConsoleFormatter.Settings(verbosity, false, true, Terminal.PLAIN);
    }

    private static String lines(String... lines) {
        return String.join("\n", lines) + "\n";
    }

    private static List<Event> uptime() {
        List<dev.capstan.Server> all = List.of(WEB1, WEB2, WEB3, WEB4, DB1);
        return List.of(
                new Event.TaskStarted(at(0), "uptime", 0, all),
                new Event.CommandStarted(at(1), 1, "uptime", "uptime", all),
                new Event.OutputLine(at(10), 1, WEB3, Stream.STDOUT, "up 3 days"),
                new Event.OutputLine(at(11), 1, DB1, Stream.STDOUT, "up 9 days"),
                new Event.OutputLine(at(12), 1, WEB1, Stream.STDOUT, "up 3 days"),
                new Event.OutputLine(at(12), 1, DB1, Stream.STDERR, "load is high"),
                new Event.OutputLine(at(13), 1, WEB2, Stream.STDOUT, "up 3 days"),
                new Event.CommandFinished(at(20), 1, WEB1, 0, ms(19)),
                new Event.OutputLine(at(21), 1, WEB4, Stream.STDOUT, "up 3 days"),
                new Event.CommandFinished(at(22), 1, WEB2, 0, ms(21)),
                new Event.CommandFinished(at(40), 1, DB1, 2, ms(39)),
                new Event.CommandFinished(at(30), 1, WEB3, 0, ms(29)),
                new Event.CommandFinished(at(31), 1, WEB4, 0, ms(30)),
                new Event.TaskFinished(at(50), "uptime", 0, ms(50), true, null));
    }

    @Test
    void identicalOutputOfManyHostsOnceUnderACompressedHostList() {
        assertThat(render(grouped(Verbosity.NORMAL), uptime())).isEqualTo(lines(
                "▶ uptime  (web[1-4], db1)",
                "  $ uptime  [web[1-4], db1]",
                "    web[1-4] │ up 3 days",
                "    db1      │ up 9 days",
                "    db1      ! load is high",
                "    db1      ✗ exit 2  (39 ms)"));
    }

    @Test
    void verboseGroupsTheEndsTooWithTheLongestDuration() {
        assertThat(render(grouped(Verbosity.VERBOSE), uptime())).isEqualTo(lines(
                "▶ uptime  (web[1-4], db1)",
                "  $ uptime  [web[1-4], db1]",
                "    web[1-4] │ up 3 days",
                "    db1      │ up 9 days",
                "    db1      ! load is high",
                "    web[1-4] ✓ exit 0  (30 ms)",
                "    db1      ✗ exit 2  (39 ms)",
                "✓ uptime  50 ms"));
    }

    @Test
    void quietKeepsOnlyTheFailure() {
        List<Event> events = List.of(
                new Event.CommandStarted(at(1), 1, "t", "check", List.of(WEB1, WEB2)),
                new Event.OutputLine(at(2), 1, WEB1, Stream.STDOUT, "noise"),
                new Event.CommandFailed(at(3), 1, WEB2, "connection reset", ms(2)),
                new Event.CommandFinished(at(4), 1, WEB1, 0, ms(3)));
        assertThat(render(grouped(Verbosity.QUIET), events)).isEqualTo(lines("    web2 ✗ connection reset  (2 ms)"));
    }

    @Test
    void theCommandIsNamedAgainWhenOtherLinesCameBetween() {
        List<Event> events = List.of(
                new Event.CommandStarted(at(1), 1, "t", "a", List.of(WEB1, WEB2)),
                new Event.CommandStarted(at(2), 2, "t", "b", List.of(DB1)),
                new Event.OutputLine(at(3), 2, DB1, Stream.STDOUT, "from b"),
                new Event.OutputLine(at(4), 1, WEB2, Stream.STDOUT, "from a"),
                new Event.CommandFinished(at(5), 2, DB1, 0, ms(3)),
                new Event.OutputLine(at(6), 1, WEB1, Stream.STDOUT, "from a"),
                new Event.CommandFinished(at(7), 1, WEB1, 0, ms(6)),
                new Event.CommandFinished(at(8), 1, WEB2, 0, ms(7)));
        assertThat(render(grouped(Verbosity.NORMAL), events)).isEqualTo(lines(
                "  $ a  [web[1-2]]",
                "  $ b  [db1]",
                "    db1 │ from b",
                "  $ a  [web[1-2]]",
                "    web[1-2] │ from a"));
    }

    @Test
    void outputOfACommandThatNeverEndedIsShownOnClose() {
        String out = render(grouped(Verbosity.NORMAL), Clock.fixed(at(0), ZoneOffset.UTC), console -> {
            console.emit(new Event.CommandStarted(at(1), 1, "t", "sleep 60", List.of(WEB1, WEB2)));
            console.emit(new Event.OutputLine(at(2), 1, WEB1, Stream.STDOUT, "started"));
            console.emit(new Event.CommandFailed(at(3), 1, WEB2, "interrupted", ms(2)));
            console.close();
        });
        assertThat(out).isEqualTo(lines(
                "  $ sleep 60  [web[1-2]]",
                "    web1 │ started",
                "    web2 ✗ interrupted  (2 ms)"));
    }
}
