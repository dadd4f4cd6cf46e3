package dev.capstan.cli.output;

import static dev.capstan.cli.output.Recorded.DB1;
import static dev.capstan.cli.output.Recorded.WEB1;
import static dev.capstan.cli.output.Recorded.WEB2;
import static dev.capstan.cli.output.Recorded.at;
import static dev.capstan.cli.output.Recorded.ms;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.transport.Stream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonEventLogTest {
    /** Text that needs every kind of escaping: quotes, backslashes, controls, non-ASCII, a lone surrogate. */
    private static final String AWKWARD = "say \"hi\" \\ C:\\path\ttab\nnewline\r\u0001\u001B[31m é ✓ 🚀 \u2028 \uD800 end";

    /** One event of every type, with the JSON object each must become. */
    private record Sample(Event event, String type, Map<String, Object> fields) { }

    private static Map<String, Object> fields(Object... namesAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            map.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return map;
    }

    private static List<Sample> samples() {
        Server port = Server.parse("deploy@10.0.0.7:2222");
        return List.of(
                new Sample(new Event.Log(at(1), Event.Level.WARN, "deploy", AWKWARD), "log",
                        fields("level", "warn", "task", "deploy", "message", AWKWARD)),
                new Sample(new Event.Log(at(2), Event.Level.TRACE, null, "ssh: kex done"), "log",
                        fields("level", "trace", "message", "ssh: kex done")),
                new Sample(new Event.TaskStarted(at(3), "deploy", 0, List.of(WEB1, WEB2)), "task_started",
                        fields("task", "deploy", "depth", 0L, "hosts", List.of("web1", "web2"))),
                new Sample(new Event.TaskFinished(at(4), "deploy:update", 1, ms(1234), false, "boom"), "task_finished",
                        fields("task", "deploy:update", "depth", 1L, "duration_ms", 1234L, "ok", false, "failure", "boom")),
                new Sample(new Event.TaskFinished(at(5), "deploy", 0, ms(5), true, null), "task_finished",
                        fields("task", "deploy", "depth", 0L, "duration_ms", 5L, "ok", true)),
                new Sample(new Event.CommandStarted(at(6), 3, "deploy", "echo " + AWKWARD, List.of(WEB1, port)), "command_started",
                        fields("id", 3L, "task", "deploy", "command", "echo " + AWKWARD, "hosts", List.of("web1", "10.0.0.7:2222"))),
                new Sample(new Event.OutputLine(at(7), 3, WEB1, Stream.STDOUT, AWKWARD), "output_line",
                        fields("id", 3L, "host", "web1", "stream", "stdout", "line", AWKWARD)),
                new Sample(new Event.OutputLine(at(8), 3, port, Stream.STDERR, ""), "output_line",
                        fields("id", 3L, "host", "10.0.0.7:2222", "stream", "stderr", "line", "")),
                new Sample(new Event.CommandFinished(at(9), 3, WEB1, 127, ms(42)), "command_finished",
                        fields("id", 3L, "host", "web1", "exit", 127L, "duration_ms", 42L)),
                new Sample(new Event.CommandFailed(at(10), 3, DB1, "connection refused", ms(3000)), "command_failed",
                        fields("id", 3L, "host", "db1", "failure", "connection refused", "duration_ms", 3000L)),
                new Sample(new Event.TransferProgress(at(11), WEB2, "/srv/app.tar.gz", 512, 4096), "transfer_progress",
                        fields("host", "web2", "path", "/srv/app.tar.gz", "bytes", 512L, "total_bytes", 4096L)),
                new Sample(new Event.ConnectionOpened(at(12), port, ms(87)), "connection_opened",
                        fields("host", "10.0.0.7:2222", "duration_ms", 87L)),
                new Sample(new Event.RollbackStarted(at(13), "deploy", "`restart` failed", 2), "rollback_started",
                        fields("task", "deploy", "failure", "`restart` failed", "handlers", 2L)),
                new Sample(new Event.RollbackStep(at(14), "deploy:update", List.of(WEB1), true, null), "rollback_step",
                        fields("task", "deploy:update", "hosts", List.of("web1"), "ok", true)),
                new Sample(new Event.RollbackStep(at(15), "deploy:symlink", List.of(), false, "ln failed"), "rollback_step",
                        fields("task", "deploy:symlink", "hosts", List.of(), "ok", false, "failure", "ln failed")),
                new Sample(new Event.RollbackFinished(at(16), "deploy", 2, 1), "rollback_finished",
                        fields("task", "deploy", "handlers", 2L, "failed", 1L)),
                new Sample(new Event.ParallelizeStarted(at(17), 9, "restart_all", 8, 3, true), "parallelize_started",
                        fields("id", 9L, "task", "restart_all", "blocks", 8L, "chunk_size", 3L, "sliding_window", true)),
                new Sample(new Event.ChunkStarted(at(18), 9, 2, 3, 3), "chunk_started",
                        fields("id", 9L, "chunk", 2L, "chunks", 3L, "blocks", 3L)),
                new Sample(new Event.BlockStarted(at(19), 9, 4, "web"), "block_started",
                        fields("id", 9L, "block", 4L, "name", "web")),
                new Sample(new Event.BlockFinished(at(20), 9, 4, "web", ms(999), null), "block_finished",
                        fields("id", 9L, "block", 4L, "name", "web", "duration_ms", 999L, "ok", true)),
                new Sample(new Event.BlockFinished(at(21), 9, 5, "db", ms(1000), "rolled back"), "block_finished",
                        fields("id", 9L, "block", 5L, "name", "db", "duration_ms", 1000L, "ok", false, "failure", "rolled back")),
                new Sample(new Event.BlockRollback(at(22), 9, 4, "web", 1), "block_rollback",
                        fields("id", 9L, "block", 4L, "name", "web", "handlers", 1L)),
                new Sample(new Event.ParallelizeFinished(at(23), 9, 6, 1, 1), "parallelize_finished",
                        fields("id", 9L, "succeeded", 6L, "failed", 1L, "not_started", 1L)),
                new Sample(new Event.TaskStarted(at(24), "web:restart", 1, List.of(WEB1), "9.4"), "task_started",
                        fields("task", "web:restart", "depth", 1L, "hosts", List.of("web1"), "block", "9.4")),
                new Sample(new Event.CommandStarted(at(25), 4, "web:restart", "test -d /srv", List.of(WEB1), false, "9.4"), "command_started",
                        fields("id", 4L, "task", "web:restart", "command", "test -d /srv", "hosts", List.of("web1"), "block", "9.4",
                                "checked", false)),
                new Sample(new Event.HostsDropped(at(26), "deploy", List.of(DB1), "`exit 1` failed on 1 host: db1"), "hosts_dropped",
                        fields("task", "deploy", "hosts", List.of("db1"), "failure", "`exit 1` failed on 1 host: db1")));
    }

    @Test
    void theSamplesCoverEveryEventType() {
        Set<Class<?>> covered = samples().stream().map(s -> s.event().getClass()).collect(Collectors.toSet());
        assertThat(covered).containsExactlyInAnyOrder(Event.class.getPermittedSubclasses());
    }

    @Test
    void everyEventTypeRoundTripsThroughTheFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("out/events.json");
        List<Sample> samples = samples();
        try (JsonEventLog log = JsonEventLog.open(file, UnaryOperator.identity(), message -> { })) {
            samples.forEach(s -> log.emit(s.event()));
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertThat(lines).hasSize(samples.size());
        for (int i = 0; i < samples.size(); i++) {
            Sample sample = samples.get(i);
            Map<String, Object> parsed = MiniJson.object(lines.get(i));
            Map<String, Object> expected = new LinkedHashMap<>();
            expected.put("time", sample.event().at().toString());
            expected.put("type", sample.type());
            expected.putAll(sample.fields());
            assertThat(parsed).as(lines.get(i)).containsExactlyEntriesOf(expected);
        }
    }

    @Test
    void eachRunStartsANewFileAndLinesAreMasked(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("events.json");
        Files.writeString(file, "old run\n");
        try (JsonEventLog log = JsonEventLog.open(file, s -> s.replace("hunter2", "****"), message -> { })) {
            log.emit(new Event.OutputLine(at(0), 1, WEB1, Stream.STDOUT, "password hunter2"));
        }
        assertThat(Files.readString(file)).isEqualTo(
                "{\"time\":\"2025-05-01T10:00:00Z\",\"type\":\"output_line\",\"id\":1,\"host\":\"web1\",\"stream\":\"stdout\","
                + "\"line\":\"password ****\"}\n");
    }

    @Test
    void aFileThatCannotBeCreatedIsAnError(@TempDir Path dir) throws IOException {
        Path notADirectory = Files.writeString(dir.resolve("plain"), "x");
        assertThatThrownBy(() -> JsonEventLog.open(notADirectory.resolve("events.json"), UnaryOperator.identity(), m -> { }))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("events.json");
    }

    @Test
    void stringEscaping() {
        assertThat(Json.string("plain")).isEqualTo("\"plain\"");
        assertThat(Json.string("a\"b\\c/d")).isEqualTo("\"a\\\"b\\\\c/d\"");
        assertThat(Json.string("\n\r\t\b\f")).isEqualTo("\"\\n\\r\\t\\b\\f\"");
        assertThat(Json.string("\u0000\u001F\u007F")).isEqualTo("\"\\u0000\\u001f\\u007f\"");
        assertThat(Json.string("é✓🚀")).isEqualTo("\"é✓🚀\"");
        assertThat(Json.string("\u2028\u2029")).isEqualTo("\"\\u2028\\u2029\"");
        assertThat(Json.string("\uD800x\uDC00")).isEqualTo("\"\\ud800x\\udc00\"");
        // every char from 0 to 0xFFFF survives the round trip
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < 0xFFFF; c++) {
            all.append(c);
        }
        assertThat(MiniJson.parse(Json.string(all.toString()))).isEqualTo(all.toString());
    }

    @Test
    void theParserIsStrict() {
        for (String bad : List.of("{\"a\":1,}", "{\"a\" 1}", "[1 2]", "\"tab\there\"", "{\"a\":1}x", "{\"a\":1,\"a\":2}", "tru")) {
            assertThatThrownBy(() -> MiniJson.parse(bad)).as(bad).isInstanceOf(RuntimeException.class);
        }
        assertThat(MiniJson.parse(" {\"a\" : [1, -2.5e3, true, null, {}] } "))
                .isEqualTo(Map.of("a", Arrays.asList(1L, -2500.0, true, null, Map.of())));
    }

    @Test
    void recordsListFieldsInTheDocumentedOrder() {
        List<String> names = new ArrayList<>();
        EventRecord.of(new Event.CommandStarted(at(0), 1, "t", "x", List.of(WEB1))).fields().forEach(f -> names.add(f.name()));
        assertThat(names).containsExactly("id", "task", "command", "hosts");
    }
}
