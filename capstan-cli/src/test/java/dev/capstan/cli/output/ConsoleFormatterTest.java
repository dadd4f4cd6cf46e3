package dev.capstan.cli.output;

import static dev.capstan.cli.output.Recorded.DB1;
import static dev.capstan.cli.output.Recorded.WEB1;
import static dev.capstan.cli.output.Recorded.WEB2;
import static dev.capstan.cli.output.Recorded.at;
import static dev.capstan.cli.output.Recorded.ms;
import static dev.capstan.cli.output.Recorded.plain;
import static dev.capstan.cli.output.Recorded.render;
import static dev.capstan.cli.output.Recorded.tty;
import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.transport.Stream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class ConsoleFormatterTest {

    private static final String ESC = "\u001B";

    private static String sgr(String codes, String text) {
        return ESC + "[" + codes + "m" + text + ESC + "[0m";
    }

    private static String bold(String text) {
        return sgr("1", text);
    }

    private static String dim(String text) {
        return sgr("2", text);
    }

    private static String host(String label) {
        return sgr(HostColors.codeFor(label), label);
    }

    private static String lines(String... lines) {
        return String.join("\n", lines) + "\n";
    }

    @Test
    void pipedOutputIsPlainTextWithHostPrefixesNestingAndRollback() {
        String out = render(plain(Verbosity.NORMAL), Recorded.failedDeploy());
        assertThat(out).isEqualTo(lines(
                "▶ deploy  (web[1-2], db1)",
                "  ▶ deploy:update  (web[1-2])",
                "    $ git pull  [web[1-2]]",
                "      web1 │ Already up to date.",
                "      web2 ! warning: shallow clone",
                "  restarting",
                "  $ restart  [web[1-2], db1]",
                "    web2 ! port in use",
                "    web2 ✗ exit 3  (2.0 s)",
                "↺ ROLLBACK of deploy (1 handler): `restart` failed on 1 host: web2",
                "↺   rolled back deploy on web[1-2], db1",
                "↺ rollback of deploy finished: 1 handler",
                "✗ deploy failed after 2.5 s: `restart` failed on 1 host: web2"));
        assertThat(out).doesNotContain(ESC);
    }

    @Test
    void verboseAddsEachHostsExitAndDurationAndTaskEnds() {
        String out = render(plain(Verbosity.VERBOSE), Recorded.failedDeploy());
        assertThat(out).isEqualTo(lines(
                "▶ deploy  (web[1-2], db1)",
                "  ▶ deploy:update  (web[1-2])",
                "    $ git pull  [web[1-2]]",
                "      web1 │ Already up to date.",
                "      web2 ! warning: shallow clone",
                "      web1 ✓ exit 0  (120 ms)",
                "      web2 ✓ exit 0  (130 ms)",
                "  ✓ deploy:update  300 ms",
                "  restarting",
                "  $ restart  [web[1-2], db1]",
                "    web2 ! port in use",
                "    web1 ✓ exit 0  (197 ms)",
                "    db1  ✓ exit 0  (207 ms)",
                "    web2 ✗ exit 3  (2.0 s)",
                "↺ ROLLBACK of deploy (1 handler): `restart` failed on 1 host: web2",
                "↺   rolled back deploy on web[1-2], db1",
                "↺ rollback of deploy finished: 1 handler",
                "✗ deploy failed after 2.5 s: `restart` failed on 1 host: web2"));
    }

    @Test
    void quietShowsOnlyFailuresAndRollbacks() {
        assertThat(render(plain(Verbosity.QUIET), Recorded.failedDeploy())).isEqualTo(lines(
                "↺ ROLLBACK of deploy (1 handler): `restart` failed on 1 host: web2",
                "↺   rolled back deploy on web[1-2], db1",
                "↺ rollback of deploy finished: 1 handler",
                "✗ deploy failed after 2.5 s: `restart` failed on 1 host: web2"));
    }

    @Test
    void aTerminalGetsColoursPerHostAndARedRollbackBanner() {
        String out = render(tty(Verbosity.NORMAL), Recorded.failedDeploy());
        assertThat(out).isEqualTo(lines(
                bold("▶ deploy") + "  " + dim("(web[1-2], db1)"),
                "  " + bold("▶ deploy:update") + "  " + dim("(web[1-2])"),
                "    $ " + bold("git pull") + "  " + dim("[web[1-2]]"),
                "      " + host("web1") + " " + dim("│") + " Already up to date.",
                "      " + host("web2") + " " + sgr("31", "!") + " warning: shallow clone",
                "  restarting",
                "  $ " + bold("restart") + "  " + dim("[web[1-2], db1]"),
                "    " + host("web2") + " " + sgr("31", "!") + " port in use",
                "    " + host("web2") + " " + sgr("1;31", "✗") + " " + sgr("31", "exit 3") + "  " + dim("(2.0 s)"),
                sgr("1;97;41", " ↺ ROLLBACK ") + sgr("1;31", " of deploy") + " (1 handler): `restart` failed on 1 host: web2",
                sgr("31", "↺") + "   rolled back deploy on web[1-2], db1",
                sgr("31", "↺") + " rollback of deploy finished: 1 handler",
                sgr("1;31", "✗ deploy failed") + " after 2.5 s: `restart` failed on 1 host: web2"));
    }

    @Test
    void noColorOnATerminalWritesNoEscapeCodes() {
        Terminal noColor = Terminal.decide(true, Map.of("NO_COLOR", ""));
        assertThat(noColor.interactive()).isTrue();
        assertThat(noColor.colour()).isFalse();
        String out = render(new ConsoleFormatter.Settings(Verbosity.VERBOSE, false, false, noColor), Recorded.failedDeploy());
        assertThat(out).doesNotContain(ESC).isEqualTo(render(plain(Verbosity.VERBOSE), Recorded.failedDeploy()));
    }

    @Test
    void terminalDecision() {
        assertThat(Terminal.decide(false, Map.of())).isEqualTo(Terminal.PLAIN);
        assertThat(Terminal.decide(true, Map.of("TERM", "dumb"))).isEqualTo(Terminal.PLAIN);
        assertThat(Terminal.decide(true, Map.of("TERM", "xterm-256color", "COLUMNS", "120")))
                .isEqualTo(new Terminal(true, true, 120));
        assertThat(Terminal.decide(true, Map.of("NO_COLOR", "1")).colour()).isFalse();
        // output that is not the JVM's standard output is never a terminal
        assertThat(Terminal.detect(Map.of(), false)).isEqualTo(Terminal.PLAIN);
    }

    @Test
    void hostColoursAreStableAndNeverRed() {
        for (String label : List.of("web1", "web2", "db1", "jobs-01.example.com", "10.0.0.7:2222")) {
            assertThat(HostColors.codeFor(label)).isEqualTo(HostColors.codeFor(new String(label))).isNotIn("31", "91");
        }
        assertThat(HostColors.codeFor("web1")).isNotEqualTo(HostColors.codeFor("web2"));
    }

    @Test
    void dryRunShowsWouldRunAndNoPretendExits() {
        List<Event> events = List.of(
                new Event.TaskStarted(at(0), "deploy", 0, List.of(WEB1, WEB2)),
                new Event.CommandStarted(at(1), 1, "deploy", "touch /srv/x", List.of(WEB1, WEB2)),
                new Event.CommandFinished(at(1), 1, WEB1, 0, ms(0)),
                new Event.CommandFinished(at(1), 1, WEB2, 0, ms(0)),
                new Event.TaskFinished(at(2), "deploy", 0, ms(2), true, null));
        assertThat(render(new ConsoleFormatter.Settings(Verbosity.VERBOSE, true, false, Terminal.PLAIN), events)).isEqualTo(lines(
                "▶ deploy  (web[1-2])",
                "  would run touch /srv/x  [web[1-2]]",
                "✓ deploy  2 ms"));
    }

    @Test
    void logLevelsByVerbosity() {
        List<Event> events = List.of(
                new Event.TaskStarted(at(0), "deploy", 0, List.of()),
                new Event.Log(at(1), Event.Level.ERROR, "deploy", "disk full"),
                new Event.Log(at(2), Event.Level.WARN, "deploy", "`false` failed on 1 host: web2\n  continuing without web2"),
                new Event.Log(at(3), Event.Level.INFO, "deploy", "Running 2 blocks in chunks of 10"),
                new Event.Log(at(4), Event.Level.DEBUG, "deploy", "selected 2 servers"),
                new Event.Log(at(5), Event.Level.TRACE, null, "channel 3 opened"),
                new Event.Log(at(5), Event.Level.DEBUG, null, "ssh-agent offers 2 keys"),
                new Event.ConnectionOpened(at(6), WEB1, ms(42)));
        assertThat(render(plain(Verbosity.QUIET), events)).isEqualTo(lines(
                "  ✗ error: disk full",
                "  ! warning: `false` failed on 1 host: web2",
                "      continuing without web2"));
        assertThat(render(plain(Verbosity.NORMAL), events)).isEqualTo(lines(
                "▶ deploy",
                "  ✗ error: disk full",
                "  ! warning: `false` failed on 1 host: web2",
                "      continuing without web2",
                "  Running 2 blocks in chunks of 10"));
        assertThat(render(plain(Verbosity.VERBOSE), events)).endsWith(lines(
                "  Running 2 blocks in chunks of 10",
                "  debug: selected 2 servers"));
        assertThat(render(plain(Verbosity.DEBUG), events)).endsWith(lines(
                "  debug: selected 2 servers",
                "trace: channel 3 opened",
                "debug: ssh-agent offers 2 keys",
                "connected to web1 in 42 ms"));
    }

    @Test
    void parallelizeBlocksAndTheirRollback() {
        List<Event> events = List.of(
                new Event.TaskStarted(at(0), "restart_all", 0, List.of(WEB1, DB1)),
                new Event.ParallelizeStarted(at(1), 7, "restart_all", 2, 10, false),
                new Event.ChunkStarted(at(1), 7, 1, 1, 2),
                new Event.BlockStarted(at(2), 7, 1, "web"),
                new Event.BlockStarted(at(2), 7, 2, "db"),
                new Event.BlockFinished(at(900), 7, 1, "web", ms(898), null),
                new Event.BlockFinished(at(1200), 7, 2, "db", ms(1198), "`pg_ctl restart` failed on 1 host: db1"),
                new Event.BlockRollback(at(1201), 7, 1, "web", 2),
                new Event.ParallelizeFinished(at(1300), 7, 1, 1, 0));
        assertThat(render(plain(Verbosity.NORMAL), events)).isEqualTo(lines(
                "▶ restart_all  (web1, db1)",
                "  ✗ db failed after 1.2 s: `pg_ctl restart` failed on 1 host: db1",
                "↺ rolling back web (2 handlers)",
                "  parallelize: 1 succeeded, 1 failed, 0 not started"));
        assertThat(render(plain(Verbosity.VERBOSE), events)).isEqualTo(lines(
                "▶ restart_all  (web1, db1)",
                "  ▷ web started",
                "  ▷ db started",
                "  ✓ web  898 ms",
                "  ✗ db failed after 1.2 s: `pg_ctl restart` failed on 1 host: db1",
                "↺ rolling back web (2 handlers)",
                "  parallelize: 1 succeeded, 1 failed, 0 not started"));
    }

    @Test
    void failedRollbackHandlerAndUnreachableHost() {
        List<Event> events = List.of(
                new Event.CommandStarted(at(0), 4, "deploy", "uptime", List.of(WEB1, DB1)),
                new Event.CommandFailed(at(30), 4, DB1, "connection refused\nmore detail", ms(30)),
                new Event.RollbackStep(at(40), "deploy:symlink", List.of(WEB1), false, "ln: permission denied"),
                new Event.RollbackFinished(at(41), "deploy", 2, 1));
        assertThat(render(plain(Verbosity.QUIET), events)).isEqualTo(lines(
                "    db1  ✗ connection refused  (30 ms)",
                "↺   rollback handler of deploy:symlink FAILED: ln: permission denied",
                "↺ rollback of deploy finished: 2 handlers, 1 failed"));
    }

    @Test
    void remoteEscapeCodesAndCarriageReturnsNeverReachTheConsole() {
        List<Event> events = List.of(
                new Event.CommandStarted(at(0), 1, "t", "make", List.of(WEB1)),
                new Event.OutputLine(at(1), 1, WEB1, Stream.STDOUT, ESC + "[32mgreen" + ESC + "[0m text"),
                new Event.OutputLine(at(2), 1, WEB1, Stream.STDOUT, " 10%\r 50%\r100%\r"),
                new Event.OutputLine(at(3), 1, WEB1, Stream.STDOUT, ESC + "]0;title\u0007bell\u0007 here"));
        String out = render(plain(Verbosity.NORMAL), events);
        assertThat(out).doesNotContain(ESC).doesNotContain("\r").doesNotContain("\u0007");
        assertThat(out).contains("web1 │ green text\n", "web1 │ 100%\n", "web1 │ bell here\n");
    }

    @Test
    void multiLineCommandsShowEveryLine() {
        List<Event> events = List.of(new Event.CommandStarted(at(0), 1, "t", "cat > f <<EOF\nhello\nEOF", List.of(WEB1)));
        assertThat(render(plain(Verbosity.NORMAL), events)).isEqualTo(lines(
                "  $ cat > f <<EOF  [web1]",
                "    hello",
                "    EOF"));
    }

    @Test
    void asciiGlyphsWhenTheConsoleCannotEncodeUnicode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.US_ASCII)) {
            ConsoleFormatter console = new ConsoleFormatter(out, plain(Verbosity.NORMAL));
            Recorded.failedDeploy().forEach(console::emit);
        }
        String out = bytes.toString(StandardCharsets.US_ASCII);
        assertThat(out).doesNotContain("?").contains("* deploy  (web[1-2], db1)", "web1 | Already up to date.",
                "web2 x exit 3", "<< ROLLBACK of deploy");
    }

    @Test
    void linesOfManyThreadsNeverMix() throws InterruptedException {
        int threads = 8;
        int perThread = 300;
        List<Server> servers = new ArrayList<>();
        for (int i = 1; i <= threads; i++) {
            servers.add(Server.parse("host" + i));
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, false, StandardCharsets.UTF_8)) {
            ConsoleFormatter console = new ConsoleFormatter(out, plain(Verbosity.NORMAL));
            console.emit(new Event.CommandStarted(at(0), 1, "t", "yes", servers));
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> running = new ArrayList<>();
            for (Server server : servers) {
                running.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int n = 0; n < perThread; n++) {
                        console.emit(new Event.OutputLine(at(n), 1, server, Stream.STDOUT, "line " + n + " of " + server.label()));
                    }
                }));
            }
            start.countDown();
            for (Thread t : running) {
                assertThat(t.join(java.time.Duration.ofSeconds(30))).as("%s finished", t).isTrue();
            }
        }
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().skip(1).toList();
        assertThat(lines).hasSize(threads * perThread)
                .allMatch(l -> l.matches(" {4}(host\\d) │ line \\d+ of \\1"), "one whole line of one host");
    }
}
