package dev.capstan.cli.output;

import static dev.capstan.cli.output.Recorded.T0;
import static dev.capstan.cli.output.Recorded.WEB1;
import static dev.capstan.cli.output.Recorded.WEB2;
import static dev.capstan.cli.output.Recorded.at;
import static dev.capstan.cli.output.Recorded.ms;
import static dev.capstan.cli.output.Recorded.plain;
import static dev.capstan.cli.output.Recorded.render;
import static dev.capstan.cli.output.Recorded.tty;
import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.event.Event;
import dev.capstan.transport.Stream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusLineTest {
    private static final String CLEAR = "\r\u001B[2K";

    private static String dim(String text) {
        return "\u001B[2m" + text + "\u001B[0m";
    }

    private static void startBlocks(ConsoleFormatter console, int blocks, int running) {
        console.emit(new Event.ParallelizeStarted(at(0), 7, "restart_all", blocks, 3, false));
        for (int b = 1; b <= running; b++) {
            console.emit(new Event.BlockStarted(at(1), 7, b, "block " + b));
        }
    }

    @Test
    void redrawnInPlaceAndErasedBeforeEveryNormalLine() {
        Recorded.ManualClock clock = new Recorded.ManualClock(T0);
        String out = render(tty(Verbosity.NORMAL), clock, console -> {
            startBlocks(console, 8, 3);
            clock.set(at(2500));
            console.tick();
            console.emit(new Event.CommandStarted(at(2500), 1, "restart_all", "uptime", List.of(WEB1, WEB2)));
            console.emit(new Event.OutputLine(at(2600), 1, WEB1, Stream.STDOUT, "up 3 days"));
            console.emit(new Event.BlockFinished(at(2700), 7, 1, "block 1", ms(2699), null));
            clock.set(at(2800));
            console.tick();
            console.close();
        });
        String blocks3 = "3/8 blocks running, 0 done, 0 failed";
        String web1 = "\u001B[" + HostColors.codeFor("web1") + "mweb1\u001B[0m";
        assertThat(out).isEqualTo(
                CLEAR + dim(blocks3 + " · 2.5 s")
                + CLEAR + "  $ \u001B[1muptime\u001B[0m  " + dim("[web[1-2]]") + "\n"
                + CLEAR + dim(blocks3 + " · 2 hosts pending (web[1-2]) · 2.5 s")
                + CLEAR + "    " + web1 + " " + dim("│") + " up 3 days\n"
                + CLEAR + dim(blocks3 + " · 2 hosts pending (web[1-2]) · 2.5 s")
                + CLEAR + dim("2/8 blocks running, 1 done, 0 failed · 2 hosts pending (web[1-2]) · 2.8 s")
                + CLEAR);
    }

    @Test
    void neverInPipedOutput() {
        Recorded.ManualClock clock = new Recorded.ManualClock(T0);
        String out = render(plain(Verbosity.NORMAL), clock, console -> {
            console.start();
            startBlocks(console, 8, 3);
            console.emit(new Event.TransferProgress(at(5), WEB1, "/srv/app.tar.gz", 10, 100));
            clock.set(at(5000));
            console.tick();
            console.emit(new Event.Log(at(5001), Event.Level.INFO, "restart_all", "still here"));
            console.tick();
            console.close();
        });
        assertThat(out).isEqualTo("  still here\n");
    }

    @Test
    void sameTextIsNotRewritten() {
        String out = render(tty(Verbosity.NORMAL), Clock.fixed(at(1000), java.time.ZoneOffset.UTC), console -> {
            startBlocks(console, 2, 2);
            console.tick();
            console.tick();
            console.tick();
        });
        assertThat(out).isEqualTo(CLEAR + dim("2/2 blocks running, 0 done, 0 failed · 1.0 s"));
    }

    @Test
    void aPromptOrAWarningFindsTheStatusLineErased() {
        String out = render(tty(Verbosity.NORMAL), Clock.fixed(at(1000), java.time.ZoneOffset.UTC), console -> {
            startBlocks(console, 2, 2);
            console.tick();
            assertThat(console.aside(() -> "typed")).isEqualTo("typed");
            console.tick();
        });
        String status = dim("2/2 blocks running, 0 done, 0 failed · 1.0 s");
        assertThat(out).isEqualTo(CLEAR + status + CLEAR + CLEAR + status);
    }

    @Test
    void aLongCommandEarnsAStatusLineAfterOneSecond() {
        Recorded.ManualClock clock = new Recorded.ManualClock(T0);
        String out = render(tty(Verbosity.QUIET), clock, console -> {
            console.emit(new Event.CommandStarted(at(0), 1, "t", "sleep 30", List.of(WEB1, WEB2)));
            clock.set(at(500));
            console.tick();
            clock.set(at(1500));
            console.tick();
            console.emit(new Event.CommandFinished(at(1600), 1, WEB2, 0, ms(1600)));
            clock.set(at(1700));
            console.tick();
            console.emit(new Event.CommandFinished(at(1800), 1, WEB1, 0, ms(1800)));
            console.tick();
        });
        assertThat(out).isEqualTo(CLEAR + dim("2 hosts pending (web[1-2]) · 1.5 s")
                + CLEAR + dim("1 host pending (web1) · 1.7 s")
                + CLEAR);
    }

    @Test
    void transferProgressInBytesAndPercent() {
        Recorded.ManualClock clock = new Recorded.ManualClock(at(3000));
        String out = render(tty(Verbosity.NORMAL), clock, console -> {
            console.emit(new Event.TransferProgress(at(0), WEB1, "/srv/app.tar.gz", 1024 * 1024, 4 * 1024 * 1024));
            console.tick();
            console.emit(new Event.TransferProgress(at(1), WEB2, "/srv/app.tar.gz", 3 * 1024 * 1024, 4 * 1024 * 1024));
            console.tick();
            console.emit(new Event.TransferProgress(at(2), WEB1, "/srv/app.tar.gz", 4 * 1024 * 1024, 4 * 1024 * 1024));
            console.emit(new Event.TransferProgress(at(2), WEB2, "/srv/app.tar.gz", 4 * 1024 * 1024, 4 * 1024 * 1024));
            console.tick();
        });
        assertThat(out).isEqualTo(CLEAR + dim("⇅ 1.0 MiB/4.0 MiB (25%) · 3.0 s")
                + CLEAR + dim("⇅ 2 files 4.0 MiB/8.0 MiB (50%) · 3.0 s")
                + CLEAR);
    }

    @Test
    void truncatedToTheTerminalWidthSoThatItNeverWraps() {
        ConsoleFormatter.Settings narrow = new ConsoleFormatter.Settings(Verbosity.NORMAL, false, false, new Terminal(true, false, 30));
        String out = render(narrow, Clock.fixed(at(1000), java.time.ZoneOffset.UTC), console -> {
            startBlocks(console, 8, 3);
            console.tick();
        });
        assertThat(out).isEqualTo(CLEAR + "3/8 blocks running, 0 done, …");
        assertThat(out.length() - CLEAR.length()).isLessThan(30);
    }

    @Test
    void theTickerRedrawsOnItsOwnAndStopsOnClose() throws InterruptedException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        ConsoleFormatter console = new ConsoleFormatter(stream, tty(Verbosity.NORMAL));
        console.start();
        console.emit(new Event.ParallelizeStarted(java.time.Instant.now(), 1, "t", 2, 2, false));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!bytes.toString(StandardCharsets.UTF_8).contains("0/2 blocks running") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        console.close();
        String closed = bytes.toString(StandardCharsets.UTF_8);
        assertThat(closed).contains(CLEAR + "\u001B[2m0/2 blocks running, 0 done, 0 failed · ").endsWith(CLEAR);
        Thread.sleep(3 * StatusTicker.INTERVAL.toMillis());
        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo(closed);
    }
}
