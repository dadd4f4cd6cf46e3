package dev.capstan.transport.kept;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.transport.Command;
import dev.capstan.transport.Prompt;
import dev.capstan.transport.Stream;
import dev.capstan.transport.TransportException;
import dev.capstan.transport.kept.KeeperMessage.Accepted;
import dev.capstan.transport.kept.KeeperMessage.Alive;
import dev.capstan.transport.kept.KeeperMessage.Answer;
import dev.capstan.transport.kept.KeeperMessage.Ask;
import dev.capstan.transport.kept.KeeperMessage.Call;
import dev.capstan.transport.kept.KeeperMessage.Done;
import dev.capstan.transport.kept.KeeperMessage.Download;
import dev.capstan.transport.kept.KeeperMessage.Execute;
import dev.capstan.transport.kept.KeeperMessage.Failed;
import dev.capstan.transport.kept.KeeperMessage.Inquire;
import dev.capstan.transport.kept.KeeperMessage.Interrupted;
import dev.capstan.transport.kept.KeeperMessage.Line;
import dev.capstan.transport.kept.KeeperMessage.Note;
import dev.capstan.transport.kept.KeeperMessage.Operation;
import dev.capstan.transport.kept.KeeperMessage.Progress;
import dev.capstan.transport.kept.KeeperMessage.Put;
import dev.capstan.transport.kept.KeeperMessage.Refused;
import dev.capstan.transport.kept.KeeperMessage.Report;
import dev.capstan.transport.kept.KeeperMessage.Result;
import dev.capstan.transport.kept.KeeperMessage.Stop;
import dev.capstan.transport.kept.KeeperMessage.Upload;
import dev.capstan.transport.ssh.HeldConnections;
import dev.capstan.transport.ssh.HostKeyChecking;
import dev.capstan.transport.ssh.SshSettings;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Writes and reads {@link KeeperMessage}s and {@link SshSettings} as bytes: a tag, then the fields in order. Both ends
 * are the same build of capstan (the keeper's address names the build), so there is no versioning within a message.
 */
final class KeeperWire {
    /**
     * Strings are UTF-8 with an int length: command lines and outputs can exceed the 64 kB of writeUTF. A longer field
     * than this is taken for a garbled message (a captured output as big is not one a run could hold either).
     */
    private static final int MAX_STRING = 1024 * 1024 * 1024;

    private KeeperWire() {
    }

    static void write(DataOutputStream out, KeeperMessage message) throws IOException {
        switch (message) {
            case Call call -> {
                out.writeByte(1);
                bytes(out, call.identity());
                operation(out, call.operation());
            }
            case Answer answer -> {
                out.writeByte(2);
                nullableString(out, answer.answer());
            }
            case Stop stop -> out.writeByte(3);
            case Accepted accepted -> out.writeByte(4);
            case Refused refused -> {
                out.writeByte(5);
                string(out, refused.reason());
            }
            case Line line -> {
                out.writeByte(6);
                out.writeByte(line.stream().ordinal());
                string(out, line.text());
            }
            case Progress progress -> {
                out.writeByte(7);
                string(out, progress.path());
                out.writeLong(progress.done());
                out.writeLong(progress.total());
            }
            case Note note -> {
                out.writeByte(8);
                out.writeLong(note.sequence());
                event(out, note.event());
            }
            case Ask ask -> out.writeByte(9);
            case Alive alive -> out.writeByte(10);
            case Result result -> {
                out.writeByte(11);
                out.writeInt(result.exitStatus());
                string(out, result.stdout());
                out.writeInt(result.stderrTail().size());
                for (String line : result.stderrTail()) {
                    string(out, line);
                }
                out.writeLong(result.duration().toNanos());
            }
            case Done done -> out.writeByte(12);
            case Failed failed -> {
                out.writeByte(13);
                out.writeByte(failed.reason().ordinal());
                string(out, failed.message());
            }
            case Interrupted interrupted -> out.writeByte(14);
            case Inquire inquire -> {
                out.writeByte(15);
                out.writeBoolean(inquire.stop());
            }
            case Report report -> {
                out.writeByte(16);
                out.writeLong(report.pid());
                duration(out, report.keep());
                duration(out, report.idle());
                out.writeInt(report.running());
                out.writeInt(report.held().size());
                for (HeldConnections held : report.held()) {
                    string(out, held.target());
                    out.writeInt(held.connections());
                    out.writeInt(held.idleShells());
                }
            }
        }
    }

    /** Writes {@code message} and flushes it: for a message the other end waits for. */
    static void send(DataOutputStream out, KeeperMessage message) throws IOException {
        write(out, message);
        out.flush();
    }

    /** @throws EOFException when the other end closed the socket before a whole message */
    static KeeperMessage read(DataInputStream in) throws IOException {
        int tag = in.readUnsignedByte();
        return switch (tag) {
            case 1 -> new Call(bytes(in), operation(in));
            case 2 -> new Answer(nullableString(in));
            case 3 -> new Stop();
            case 4 -> new Accepted();
            case 5 -> new Refused(string(in));
            case 6 -> new Line(Stream.values()[in.readUnsignedByte()], string(in));
            case 7 -> new Progress(string(in), in.readLong(), in.readLong());
            case 8 -> new Note(in.readLong(), event(in));
            case 9 -> new Ask();
            case 10 -> new Alive();
            case 11 -> {
                int exit = in.readInt();
                String stdout = string(in);
                int n = in.readInt();
                List<String> tail = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    tail.add(string(in));
                }
                yield new Result(exit, stdout, tail, Duration.ofNanos(in.readLong()));
            }
            case 12 -> new Done();
            case 13 -> new Failed(TransportException.Reason.values()[in.readUnsignedByte()], string(in));
            case 14 -> new Interrupted();
            case 15 -> new Inquire(in.readBoolean());
            case 16 -> {
                long pid = in.readLong();
                Duration keep = duration(in);
                Duration idle = duration(in);
                int running = in.readInt();
                int n = in.readInt();
                List<HeldConnections> held = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    held.add(new HeldConnections(string(in), in.readInt(), in.readInt()));
                }
                yield new Report(pid, keep, idle, running, held);
            }
            default -> throw new IOException("unknown message " + tag + " from the other end of a kept connection");
        };
    }

    /**
     * Every setting, paths made absolute (a run in another directory means other files), the password included: two
     * runs share a keeper only when they would have connected the same way.
     */
    static byte[] settings(SshSettings s) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            paths(out, s.knownHostsFiles());
            out.writeByte(s.hostKeyChecking().ordinal());
            paths(out, s.identityFiles());
            nullableString(out, s.password());
            nullableString(out, s.user());
            nullablePath(out, s.configFile());
            out.writeBoolean(s.gateway() != null);
            if (s.gateway() != null) {
                server(out, s.gateway());
            }
            out.writeInt(s.maxSessions());
            out.writeInt(s.maxConnectionsPerHost());
            duration(out, s.connectTimeout());
            duration(out, s.commandTimeout());
            duration(out, s.keepaliveInterval());
            out.writeInt(s.keepaliveCountMax());
            out.writeBoolean(s.persistentShell());
            duration(out, s.keepConnections());
            nullablePath(out, s.userKnownHosts());
            nullablePath(out, s.userSshDir());
            nullablePath(out, s.agentSocket());
            nullablePath(out, s.globalKnownHosts());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static SshSettings settings(byte[] encoded) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(encoded));
        return new SshSettings(paths(in), HostKeyChecking.values()[in.readUnsignedByte()], paths(in),
                nullableString(in), nullableString(in), nullablePath(in), in.readBoolean() ? server(in) : null,
                in.readInt(), in.readInt(), duration(in), duration(in), duration(in), in.readInt(), in.readBoolean(),
                duration(in), nullablePath(in), nullablePath(in), nullablePath(in), nullablePath(in));
    }

    private static void operation(DataOutputStream out, Operation operation) throws IOException {
        switch (operation) {
            case Execute execute -> {
                out.writeByte(1);
                server(out, execute.server());
                Command c = execute.command();
                string(out, c.line());
                out.writeInt(c.env().size());
                for (Map.Entry<String, String> e : c.env().entrySet()) {
                    string(out, e.getKey());
                    string(out, e.getValue());
                }
                out.writeBoolean(c.stdin() != null);
                if (c.stdin() != null) {
                    bytes(out, c.stdin());
                }
                out.writeBoolean(c.pty());
                duration(out, c.timeout());
                out.writeBoolean(c.capture());
                nullableString(out, c.prompt() == null ? null : c.prompt().marker());
            }
            case Upload upload -> {
                out.writeByte(2);
                server(out, upload.server());
                string(out, upload.local().toAbsolutePath().toString());
                string(out, upload.remote());
                mode(out, upload.mode());
            }
            case Put put -> {
                out.writeByte(3);
                server(out, put.server());
                bytes(out, put.content());
                string(out, put.remote());
                mode(out, put.mode());
            }
            case Download download -> {
                out.writeByte(4);
                server(out, download.server());
                string(out, download.remote());
                string(out, download.local().toAbsolutePath().toString());
            }
        }
    }

    /** An {@link Execute}'s prompt comes back with an answer that throws: the keeper replaces it with its own. */
    private static Operation operation(DataInputStream in) throws IOException {
        int tag = in.readUnsignedByte();
        return switch (tag) {
            case 1 -> {
                Server server = server(in);
                String line = string(in);
                int n = in.readInt();
                Map<String, String> env = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    env.put(string(in), string(in));
                }
                byte[] stdin = in.readBoolean() ? bytes(in) : null;
                boolean pty = in.readBoolean();
                Duration timeout = duration(in);
                boolean capture = in.readBoolean();
                String marker = nullableString(in);
                Supplier<String> unanswerable = () -> {
                    throw new IllegalStateException("a kept connection's prompt is answered by the keeper");
                };
                yield new Execute(server, new Command(line, env, stdin, pty, timeout, capture,
                        marker == null ? null : new Prompt(marker, unanswerable)));
            }
            case 2 -> new Upload(server(in), Path.of(string(in)), string(in), mode(in));
            case 3 -> new Put(server(in), bytes(in), string(in), mode(in));
            case 4 -> new Download(server(in), string(in), Path.of(string(in)));
            default -> throw new IOException("unknown operation " + tag + " from a run");
        };
    }

    /** Only the events the SSH layer emits travel. */
    private static void event(DataOutputStream out, Event event) throws IOException {
        switch (event) {
            case Event.Log log -> {
                out.writeByte(1);
                out.writeLong(log.at().toEpochMilli());
                out.writeByte(log.level().ordinal());
                string(out, log.message());
            }
            case Event.ConnectionOpened opened -> {
                out.writeByte(2);
                out.writeLong(opened.at().toEpochMilli());
                server(out, opened.server());
                out.writeLong(opened.took().toNanos());
            }
            default -> throw new IllegalArgumentException("not an event of the SSH layer: " + event);
        }
    }

    private static Event event(DataInputStream in) throws IOException {
        int tag = in.readUnsignedByte();
        Instant at = Instant.ofEpochMilli(in.readLong());
        return switch (tag) {
            case 1 -> new Event.Log(at, Event.Level.values()[in.readUnsignedByte()], null, string(in));
            case 2 -> new Event.ConnectionOpened(at, server(in), Duration.ofNanos(in.readLong()));
            default -> throw new IOException("unknown event " + tag + " from a kept connection");
        };
    }

    /**
     * A server as the SSH layer sees it: who and where, and the name messages call it by ({@link Server#label()});
     * roles and other properties stay with the run.
     */
    private static void server(DataOutputStream out, Server server) throws IOException {
        nullableString(out, server.user());
        string(out, server.host());
        out.writeInt(server.port());
        Object name = server.properties().get("name");
        nullableString(out, name == null ? null : name.toString());
    }

    private static Server server(DataInputStream in) throws IOException {
        String user = nullableString(in);
        String host = string(in);
        int port = in.readInt();
        String name = nullableString(in);
        return new Server(user, host, port, Set.of(), name == null ? Map.of() : Map.of("name", name));
    }

    private static void mode(DataOutputStream out, Integer mode) throws IOException {
        out.writeInt(mode == null ? -1 : mode);
    }

    private static Integer mode(DataInputStream in) throws IOException {
        int mode = in.readInt();
        return mode < 0 ? null : mode;
    }

    private static void duration(DataOutputStream out, Duration d) throws IOException {
        out.writeBoolean(d != null);
        if (d != null) {
            out.writeLong(d.getSeconds());
            out.writeInt(d.getNano());
        }
    }

    private static Duration duration(DataInputStream in) throws IOException {
        return in.readBoolean() ? Duration.ofSeconds(in.readLong(), in.readInt()) : null;
    }

    private static void paths(DataOutputStream out, List<Path> paths) throws IOException {
        out.writeInt(paths.size());
        for (Path p : paths) {
            string(out, p.toAbsolutePath().toString());
        }
    }

    private static List<Path> paths(DataInputStream in) throws IOException {
        int n = in.readInt();
        List<Path> paths = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            paths.add(Path.of(string(in)));
        }
        return paths;
    }

    private static void nullablePath(DataOutputStream out, Path path) throws IOException {
        nullableString(out, path == null ? null : path.toAbsolutePath().toString());
    }

    private static Path nullablePath(DataInputStream in) throws IOException {
        String s = nullableString(in);
        return s == null ? null : Path.of(s);
    }

    private static void nullableString(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            string(out, s);
        }
    }

    private static String nullableString(DataInputStream in) throws IOException {
        return in.readBoolean() ? string(in) : null;
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        bytes(out, s.getBytes(StandardCharsets.UTF_8));
    }

    private static String string(DataInputStream in) throws IOException {
        return new String(bytes(in), StandardCharsets.UTF_8);
    }

    private static void bytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] bytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_STRING) {
            throw new IOException("a kept connection's message is garbled (a field of " + n + " bytes)");
        }
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new EOFException("a kept connection closed in the middle of a message");
        }
        return b;
    }
}
