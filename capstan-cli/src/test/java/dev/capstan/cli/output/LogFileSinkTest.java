package dev.capstan.cli.output;

import static dev.capstan.cli.output.Recorded.WEB1;
import static dev.capstan.cli.output.Recorded.WEB2;
import static dev.capstan.cli.output.Recorded.at;
import static dev.capstan.cli.output.Recorded.ms;
import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.event.Event;
import dev.capstan.transport.Stream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogFileSinkTest {

    private static String line(Event event) {
        return LogFileSink.format(EventRecord.of(event));
    }

    @Test
    void oneLogfmtLinePerEventWithItsTime() {
        assertThat(line(new Event.CommandStarted(at(0), 3, "deploy", "echo hi", List.of(WEB1, WEB2))))
                .isEqualTo("2025-05-01T10:00:00Z command_started id=3 task=deploy command=\"echo hi\" hosts=web1,web2");
        assertThat(line(new Event.OutputLine(at(1), 3, WEB1, Stream.STDERR, "say \"x\"\tand \u001B[31mred")))
                .isEqualTo("2025-05-01T10:00:00.001Z output_line id=3 host=web1 stream=stderr line=\"say \\\"x\\\"\\tand \\u001b[31mred\"");
        assertThat(line(new Event.OutputLine(at(2), 3, WEB1, Stream.STDOUT, "")))
                .isEqualTo("2025-05-01T10:00:00.002Z output_line id=3 host=web1 stream=stdout line=\"\"");
        assertThat(line(new Event.Log(at(3), Event.Level.DEBUG, null, "ssh: kex done")))
                .isEqualTo("2025-05-01T10:00:00.003Z log level=debug message=\"ssh: kex done\"");
        assertThat(line(new Event.TaskFinished(at(4), "deploy", 0, ms(1500), true, null)))
                .isEqualTo("2025-05-01T10:00:00.004Z task_finished task=deploy depth=0 duration_ms=1500 ok=true");
    }

    @Test
    void appendsRunAfterRunCreatingTheDirectory(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("log/nested/capstan.log");
        for (int run = 1; run <= 2; run++) {
            try (LogFileSink log = LogFileSink.open(file, UnaryOperator.identity(), message -> { })) {
                log.note(at(run), "run_started", List.of());
                log.emit(new Event.OutputLine(at(run), 1, WEB1, Stream.STDOUT, "run " + run));
            }
        }
        assertThat(Files.readAllLines(file)).containsExactly(
                "2025-05-01T10:00:00.001Z run_started",
                "2025-05-01T10:00:00.001Z output_line id=1 host=web1 stream=stdout line=\"run 1\"",
                "2025-05-01T10:00:00.002Z run_started",
                "2025-05-01T10:00:00.002Z output_line id=1 host=web1 stream=stdout line=\"run 2\"");
        assertThat(Files.readString(file)).doesNotContain("\u001B");
    }

    @Test
    void everyTextValueIsMasked(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("capstan.log");
        try (LogFileSink log = LogFileSink.open(file, s -> s.replace("hunter2", "****"), message -> { })) {
            log.emit(new Event.TransferProgress(at(0), WEB1, "/tmp/hunter2.txt", 1, 2));
        }
        assertThat(Files.readString(file)).contains("path=\"/tmp/****.txt\"").doesNotContain("hunter2");
    }

    @Test
    void whereTheLogGoes() {
        assertThat(LogFileSink.choose(null, null)).contains(Path.of("log/capstan.log"));
        assertThat(LogFileSink.choose(null, "var/deploy.log")).contains(Path.of("var/deploy.log"));
        assertThat(LogFileSink.choose("cli.log", "var/deploy.log")).contains(Path.of("cli.log"));
        assertThat(LogFileSink.choose("none", "var/deploy.log")).isEqualTo(Optional.empty());
        assertThat(LogFileSink.choose(null, "none")).isEqualTo(Optional.empty());
        assertThat(LogFileSink.choose(null, Path.of("p.log"))).contains(Path.of("p.log"));
    }
}
