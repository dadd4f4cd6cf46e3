package dev.capstan.cli.output;

import dev.capstan.Server;
import dev.capstan.event.Event;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * An event as a type name and named fields, in a fixed order: the one description of every event that
 * the JSON log and the log file both write, and the README documents. Values are strings, numbers,
 * booleans or lists of strings; absent (null) values are left out.
 *
 * @param time   when it happened
 * @param type   {@code task_started}, {@code output_line}, ...: the record's name in snake case
 * @param fields the other fields, in order
 */
public record EventRecord(Instant time, String type, List<Field> fields) {

    /** One named value. */
    public record Field(String name, Object value) { }

    public EventRecord {
        fields = List.copyOf(fields);
    }

    /**
     * This record with {@code mask} applied to every text value, strings and lists of strings; numbers and booleans
     * stay as they are. Masking values rather than the written line keeps a JSON line valid whatever the secret (a
     * {@code "} or a digit), and masks a secret that the writing would have escaped.
     */
    public EventRecord masked(UnaryOperator<String> mask) {
        List<Field> masked = new ArrayList<>(fields.size());
        for (Field field : fields) {
            Object value = switch (field.value()) {
                case String text -> mask.apply(text);
                case List<?> list -> list.stream().map(item -> mask.apply(String.valueOf(item))).toList();
                default -> field.value();
            };
            masked.add(new Field(field.name(), value));
        }
        return new EventRecord(time, type, masked);
    }

    /** The record of {@code event}. */
    public static EventRecord of(Event event) {
        Builder b = new Builder();
        String type = switch (event) {
            case Event.Log e -> {
                b.add("level", e.level().name().toLowerCase(Locale.ROOT)).add("task", e.task()).add("message", e.message());
                yield "log";
            }
            case Event.TaskStarted e -> {
                b.add("task", e.task()).add("depth", e.depth()).add("hosts", hosts(e.servers())).add("block", e.block());
                yield "task_started";
            }
            case Event.TaskFinished e -> {
                b.add("task", e.task()).add("depth", e.depth()).add("duration_ms", ms(e.duration())).add("ok", e.succeeded())
                        .add("failure", e.failure());
                yield "task_finished";
            }
            case Event.CommandStarted e -> {
                b.add("id", e.id()).add("task", e.task()).add("command", e.line()).add("hosts", hosts(e.servers()))
                        .add("block", e.block());
                if (!e.checked()) {
                    b.add("checked", false);
                }
                yield "command_started";
            }
            case Event.HostsDropped e -> {
                b.add("task", e.task()).add("hosts", hosts(e.servers())).add("failure", e.reason());
                yield "hosts_dropped";
            }
            case Event.OutputLine e -> {
                b.add("id", e.id()).add("host", e.server().label()).add("stream", e.stream().name().toLowerCase(Locale.ROOT))
                        .add("line", e.line());
                yield "output_line";
            }
            case Event.CommandFinished e -> {
                b.add("id", e.id()).add("host", e.server().label()).add("exit", e.exitStatus()).add("duration_ms", ms(e.duration()));
                yield "command_finished";
            }
            case Event.CommandFailed e -> {
                b.add("id", e.id()).add("host", e.server().label()).add("failure", e.reason()).add("duration_ms", ms(e.duration()));
                yield "command_failed";
            }
            case Event.TransferProgress e -> {
                b.add("host", e.server().label()).add("path", e.path()).add("bytes", e.done()).add("total_bytes", e.total());
                yield "transfer_progress";
            }
            case Event.ConnectionOpened e -> {
                b.add("host", e.server().label()).add("duration_ms", ms(e.took()));
                yield "connection_opened";
            }
            case Event.RollbackStarted e -> {
                b.add("task", e.task()).add("failure", e.cause()).add("handlers", e.handlers());
                yield "rollback_started";
            }
            case Event.RollbackStep e -> {
                b.add("task", e.task()).add("hosts", hosts(e.servers())).add("ok", e.succeeded()).add("failure", e.failure());
                yield "rollback_step";
            }
            case Event.RollbackFinished e -> {
                b.add("task", e.task()).add("handlers", e.handlers()).add("failed", e.failed());
                yield "rollback_finished";
            }
            case Event.ParallelizeStarted e -> {
                b.add("id", e.id()).add("task", e.task()).add("blocks", e.blocks()).add("chunk_size", e.chunkSize())
                        .add("sliding_window", e.slidingWindow());
                yield "parallelize_started";
            }
            case Event.ChunkStarted e -> {
                b.add("id", e.id()).add("chunk", e.chunk()).add("chunks", e.chunks()).add("blocks", e.blocks());
                yield "chunk_started";
            }
            case Event.BlockStarted e -> {
                b.add("id", e.id()).add("block", e.block()).add("name", e.name());
                yield "block_started";
            }
            case Event.BlockFinished e -> {
                b.add("id", e.id()).add("block", e.block()).add("name", e.name()).add("duration_ms", ms(e.duration()))
                        .add("ok", e.failure() == null).add("failure", e.failure());
                yield "block_finished";
            }
            case Event.BlockRollback e -> {
                b.add("id", e.id()).add("block", e.block()).add("name", e.name()).add("handlers", e.handlers());
                yield "block_rollback";
            }
            case Event.ParallelizeFinished e -> {
                b.add("id", e.id()).add("succeeded", e.succeeded()).add("failed", e.failed()).add("not_started", e.notStarted());
                yield "parallelize_finished";
            }
        };
        return new EventRecord(event.at(), type, b.fields);
    }

    private static List<String> hosts(List<Server> servers) {
        return servers.stream().map(Server::label).toList();
    }

    private static long ms(Duration duration) {
        return duration.toMillis();
    }

    /** Collects fields, skipping absent values. */
    private static final class Builder {
        final List<Field> fields = new ArrayList<>();

        Builder add(String name, Object value) {
            if (value != null) {
                fields.add(new Field(name, value));
            }
            return this;
        }
    }
}
