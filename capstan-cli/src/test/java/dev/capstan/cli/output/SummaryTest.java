package dev.capstan.cli.output;

import static dev.capstan.cli.output.Recorded.WEB1;
import static dev.capstan.cli.output.Recorded.WEB2;
import static dev.capstan.cli.output.Recorded.at;
import static dev.capstan.cli.output.Recorded.ms;
import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.transport.Stream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SummaryTest {

    private static List<String> plain(Summary summary) {
        return summary.render(new Palette(false), Glyphs.UNICODE);
    }

    private static Summary of(boolean dryRun, List<Event> events) {
        Summary summary = new Summary(dryRun, HostListCompressor.PLAIN);
        events.forEach(summary::emit);
        return summary;
    }

    @Test
    void durationsByNestingHostsAndTheReasonOfEachFailedHost() {
        assertThat(plain(of(false, Recorded.failedDeploy()))).containsExactly(
                "Summary: FAILED after 2.5 s",
                "  ✗ deploy            2.5 s  `restart` failed on 1 host: web2",
                "    ✓ deploy:update  300 ms",
                "  hosts: 2 ok, 1 failed",
                "    ✓ web1, db1",
                "    ✗ web2  exit status 3 in `restart`: port in use",
                "  ↺ rolled back: 1 handler ran");
    }

    @Test
    void aHostDroppedUnderContinueFailsTheRunAndShowsItsFailureOnOneLine() {
        List<Event> events = List.of(
                new Event.TaskStarted(at(0), "restart", 0, List.of(WEB1, WEB2)),
                new Event.CommandStarted(at(1), 1, "restart", "restart", List.of(WEB1, WEB2)),
                new Event.OutputLine(at(2), 1, WEB2, Stream.STDERR, "port in use"),
                new Event.CommandFinished(at(3), 1, WEB1, 0, ms(2)),
                new Event.CommandFinished(at(3), 1, WEB2, 3, ms(2)),
                new Event.HostsDropped(at(4), "restart", List.of(WEB2),
                        "`restart` failed on 1 host: web2\n  web2: exit status 3\n    port in use"),
                new Event.TaskFinished(at(9), "restart", 0, ms(9), true, null));
        assertThat(plain(of(false, events))).containsExactly(
                "Summary: FAILED after 9 ms",
                "  ✓ restart  9 ms",
                "  hosts: 1 ok, 1 failed",
                "    ✓ web1",
                "    ✗ web2  exit status 3 in `restart`: port in use");
    }

    @Test
    void aNonZeroExitInATaskThatSucceededIsAnAnswerNotAFailure() {
        List<Event> events = new ArrayList<>(List.of(
                new Event.TaskStarted(at(0), "deploy", 0, List.of(WEB1, WEB2)),
                new Event.TaskStarted(at(1), "deploy:check", 1, List.of(WEB1, WEB2)),
                new Event.CommandStarted(at(2), 1, "deploy:check", "test -d /srv/app", List.of(WEB1, WEB2)),
                new Event.CommandFinished(at(5), 1, WEB1, 0, ms(3)),
                new Event.CommandFinished(at(6), 1, WEB2, 1, ms(4)),
                new Event.TaskFinished(at(11), "deploy:check", 1, ms(10), true, null)));
        for (int i = 1; i <= 3; i++) {
            events.add(new Event.TaskStarted(at(100 * i), "web:restart", 1, List.of(WEB1)));
            events.add(new Event.TaskFinished(at(100 * i + 50), "web:restart", 1, ms(100 * i), true, null));
        }
        events.add(new Event.TaskFinished(at(700), "deploy", 0, ms(700), true, null));
        assertThat(plain(of(false, events))).containsExactly(
                "Summary: ok in 700 ms",
                "  ✓ deploy            700 ms",
                "    ✓ deploy:check     10 ms",
                "    ✓ web:restart ×3  600 ms",
                "  hosts: 2 ok",
                "    ✓ web[1-2]");
    }

    @Test
    void theMachineCapstanRunsOnIsNoHostUnlessACommandOnItFailed() {
        List<Event> events = new ArrayList<>(List.of(
                new Event.TaskStarted(at(0), "deploy", 0, List.of(WEB1, WEB2)),
                new Event.CommandStarted(at(1), 1, "deploy", "tar czf app.tgz .", List.of(Server.THIS_MACHINE)),
                new Event.CommandFinished(at(2), 1, Server.THIS_MACHINE, 0, ms(1)),
                new Event.CommandStarted(at(3), 2, "deploy", "true", List.of(WEB1, WEB2)),
                new Event.CommandFinished(at(4), 2, WEB1, 0, ms(1)),
                new Event.CommandFinished(at(4), 2, WEB2, 0, ms(1)),
                new Event.TaskFinished(at(5), "deploy", 0, ms(5), true, null)));
        assertThat(plain(of(false, events))).contains("  hosts: 2 ok", "    ✓ web[1-2]");

        List<Event> failing = List.of(
                new Event.TaskStarted(at(0), "deploy", 0, List.of(WEB1, WEB2)),
                new Event.CommandStarted(at(1), 1, "deploy", "mvn package", List.of(Server.THIS_MACHINE)),
                new Event.CommandFinished(at(2), 1, Server.THIS_MACHINE, 1, ms(1)),
                new Event.TaskFinished(at(5), "deploy", 0, ms(5), false, "`mvn package` failed on 1 host: localhost"));
        assertThat(plain(of(false, failing))).contains("    ✗ localhost  exit status 1 in `mvn package`");
    }

    @Test
    void aTestThatLostItsConnectionFailedItsHost() {
        Summary summary = of(false, List.of(
                new Event.TaskStarted(at(0), "check", 0, List.of(WEB1, WEB2)),
                new Event.CommandStarted(at(1), 1, "check", "sleep 2; true", List.of(WEB1, WEB2), false, null),
                new Event.CommandFinished(at(2001), 1, WEB1, 0, ms(2000)),
                new Event.CommandFailed(at(1500), 1, WEB2, "connection to web2 lost", ms(1499)),
                new Event.TaskFinished(at(2002), "check", 0, ms(2002), false, "connection to web2 lost")));
        assertThat(plain(summary)).contains(
                "  hosts: 1 ok, 1 failed",
                "    ✓ web1",
                "    ✗ web2  connection to web2 lost in `sleep 2; true`");
    }

    @Test
    void aTaskThatNeverFinishedFailsTheRunAndItsHostsFailures() {
        Summary summary = of(true, List.of(
                new Event.TaskStarted(at(0), "notify", 0, List.of(WEB1, WEB2)),
                new Event.CommandStarted(at(1), 1, "notify", "curl -s https://chat/hook?token=x",
                        List.of(WEB1, WEB2)),
                new Event.OutputLine(at(2), 1, WEB2, Stream.STDERR, "\u001B[31mcurl: (6) no host\u001B[0m  "),
                new Event.CommandFailed(at(1500), 1, WEB2, "interrupted", ms(1499))));
        assertThat(plain(summary)).containsExactly(
                "Summary (dry run): FAILED after 1.5 s",
                "  … notify  not finished",
                "  hosts: 1 ok, 1 failed",
                "    ✓ web1",
                "    ✗ web2  interrupted in `curl -s https://chat/hook?token=x`: curl: (6) no host");
    }

    @Test
    void longAndMultiLineCommandsAreShortenedInReasons() {
        String longCommand = "x".repeat(80);
        Summary summary = of(false, List.of(
                new Event.TaskStarted(at(0), "t", 0, List.of(WEB1, WEB2)),
                new Event.CommandStarted(at(1), 1, "t", longCommand, List.of(WEB1)),
                new Event.CommandFinished(at(2), 1, WEB1, 1, ms(1)),
                new Event.CommandStarted(at(3), 2, "t", "cat <<EOF\nline\nEOF", List.of(WEB2)),
                new Event.CommandFinished(at(4), 2, WEB2, 2, ms(1)),
                new Event.TaskFinished(at(5), "t", 0, ms(5), false, "boom")));
        assertThat(plain(summary)).contains(
                "    ✗ web1  exit status 1 in `" + "x".repeat(59) + "…`",
                "    ✗ web2  exit status 2 in `cat <<EOF …`");
    }

    @Test
    void hostsThatFailedForTheSameReasonShareALine() {
        List<dev.capstan.Server> web = List.of(Recorded.WEB3, WEB1, Recorded.WEB4, WEB2);
        List<Event> events = new ArrayList<>(List.of(
                new Event.TaskStarted(at(0), "restart", 0, web),
                new Event.CommandStarted(at(1), 1, "restart", "sv restart app", web)));
        web.forEach(s -> events.add(new Event.CommandFinished(at(2), 1, s, s == Recorded.WEB4 ? 2 : 1, ms(1))));
        events.add(new Event.TaskFinished(at(3), "restart", 0, ms(3), false, "`sv restart app` failed on 4 hosts"));
        assertThat(plain(of(false, events))).containsSubsequence(
                "  hosts: 0 ok, 4 failed",
                "    ✗ web[1-3]  exit status 1 in `sv restart app`",
                "    ✗ web4      exit status 2 in `sv restart app`");
    }

    @Test
    void aThousandHostsWithoutACommonNumberingFitOnAShortLine() {
        List<Server> fleet = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            fleet.add(Server.parse("root@127.0.0.1:" + (30000 + 7 * i)));
        }
        List<Event> events = new ArrayList<>(List.of(
                new Event.TaskStarted(at(0), "fanout", 0, fleet),
                new Event.CommandStarted(at(1), 1, "fanout", "true", fleet)));
        fleet.forEach(s -> events.add(new Event.CommandFinished(at(2), 1, s, 0, ms(1))));
        events.add(new Event.TaskFinished(at(500), "fanout", 0, ms(500), true, null));
        List<String> lines = plain(of(false, events));

        assertThat(lines).contains("  hosts: 1000 ok");
        String okLine = lines.get(lines.indexOf("  hosts: 1000 ok") + 1);
        assertThat(okLine).startsWith("    ✓ 127.0.0.1:30000, 127.0.0.1:30007, ").hasSizeLessThan(200)
                .matches(".*, … and \\d+ more");
    }

    @Test
    void failedHostsAreListedInTheOrderTheRunNamedThemNotTheOrderTheyFailedIn() {
        List<Server> web = List.of(WEB1, WEB2, Recorded.WEB3, Recorded.DB1);
        List<Event> events = new ArrayList<>(List.of(
                new Event.TaskStarted(at(0), "restart", 0, web),
                new Event.CommandStarted(at(1), 1, "restart", "sv restart app", web)));
        for (Server s : List.of(Recorded.DB1, Recorded.WEB3, WEB1, WEB2)) { // db1 fails first
            events.add(new Event.CommandFinished(at(2), 1, s, s == WEB2 ? 0 : 1, ms(1)));
        }
        events.add(new Event.TaskFinished(at(3), "restart", 0, ms(3), false, "`sv restart app` failed on 3 hosts"));
        assertThat(plain(of(false, events))).containsSubsequence(
                "  hosts: 1 ok, 3 failed",
                "    ✓ web2",
                "    ✗ web[1,3], db1  exit status 1 in `sv restart app`");
    }

    @Test
    void hostsOnWhichNothingRanAreUntouchedNotOk() {
        List<Server> all = List.of(WEB1, WEB2, Recorded.WEB3);
        assertThat(plain(of(false, List.of(
                new Event.TaskStarted(at(0), "migrate", 0, all),
                new Event.CommandStarted(at(1), 1, "migrate", "rake db:migrate", List.of(WEB1)), // once
                new Event.CommandFinished(at(2), 1, WEB1, 0, ms(1)),
                new Event.TransferProgress(at(3), Recorded.WEB3, "/srv/app/config.yml", 10, 10),
                new Event.TaskFinished(at(4), "migrate", 0, ms(4), true, null))))).containsSubsequence(
                "  hosts: 2 ok, 1 untouched",
                "    ✓ web[1,3]",
                "    · web2  nothing ran");
        assertThat(plain(of(false, List.of(
                new Event.TaskStarted(at(0), "notify", 0, all),
                new Event.TaskFinished(at(4), "notify", 0, ms(4), true, null))))).containsSubsequence(
                "  hosts: 3 untouched", "    · web[1-3]  nothing ran");
    }

    @Test
    void rollbacksCountTheHandlersThatRanAndFailed() {
        List<Event> events = new ArrayList<>(List.of(new Event.TaskStarted(at(0), "restart", 0, List.of(WEB1))));
        for (int block = 0; block < 3; block++) { // a parallelize: every block's journal rolls back on its own
            events.add(new Event.RollbackStarted(at(10), "restart", "boom", 2));
            events.add(new Event.RollbackFinished(at(20), "restart", 2, block == 0 ? 1 : 0));
        }
        events.add(new Event.TaskFinished(at(30), "restart", 0, ms(30), false, "boom"));
        assertThat(plain(of(false, events))).endsWith("  ↺ rolled back: 6 handlers ran, 1 failed");
    }

    @Test
    void colouredOnATerminal() {
        List<String> lines = of(false, Recorded.failedDeploy()).render(new Palette(true), Glyphs.UNICODE);
        assertThat(lines.get(0)).isEqualTo("\u001B[1mSummary: \u001B[0m\u001B[1;31mFAILED\u001B[0m after 2.5 s");
        assertThat(String.join("\n", lines)).contains("\u001B[32m✓\u001B[0m deploy:update", "\u001B[1;31m✗\u001B[0m deploy");
    }

    @Test
    void emptyWhenNoTaskRan() {
        assertThat(new Summary(false, HostListCompressor.PLAIN).isEmpty()).isTrue();
        assertThat(of(false, Recorded.failedDeploy()).isEmpty()).isFalse();
    }
}
