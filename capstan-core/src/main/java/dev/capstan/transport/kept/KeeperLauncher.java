package dev.capstan.transport.kept;

import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reaches the keeper for one address, starting it when none answers: a JVM of this build, in a session of its own,
 * its output appended to its log. Tells why when it cannot, once; a run then connects by itself.
 */
final class KeeperLauncher {
    private static final List<Path> SETSID = List.of(Path.of("/usr/bin/setsid"), Path.of("/bin/setsid"));

    private final KeeperAddress address;
    private final Duration patience;
    private String unavailable;
    private boolean directoryChecked;

    KeeperLauncher(KeeperAddress address, Duration patience) {
        this.address = address;
        this.patience = patience;
    }

    /**
     * A socket to the keeper, or {@code null} when there is none and none could be started ({@link #whyUnavailable}).
     * The directory is checked before a run's first connect: in a directory others can write to, a socket could be
     * anyone's.
     */
    SocketChannel connect(EventSink events) throws InterruptedException {
        synchronized (this) {
            if (unavailable != null) {
                return null;
            }
            if (!directoryChecked) {
                try {
                    address.prepareDirectory();
                } catch (IOException e) {
                    unavailable = "cannot start a keeper: " + e.getMessage();
                    return null;
                }
                directoryChecked = true;
            }
        }
        SocketChannel channel = tryConnect();
        return channel != null ? channel : startAndConnect(events);
    }

    synchronized String whyUnavailable() {
        return unavailable;
    }

    private synchronized SocketChannel startAndConnect(EventSink events) throws InterruptedException {
        SocketChannel channel = tryConnect(); // another call may have started it meanwhile
        if (channel != null || unavailable != null) {
            return channel;
        }
        Process keeper;
        try {
            keeper = start();
        } catch (IOException e) {
            unavailable = "cannot start a keeper: " + e.getMessage();
            return null;
        }
        long deadline = System.nanoTime() + patience.toNanos();
        while (System.nanoTime() < deadline) {
            channel = tryConnect();
            if (channel != null) {
                events.emit(new Event.Log(Instant.now(), Event.Level.DEBUG, null, "started a connection keeper (pid "
                        + keeper.pid() + "; its log: " + address.log() + ")"));
                return channel;
            }
            if (!keeper.isAlive() && keeper.exitValue() != 0) {
                unavailable = "the keeper exited with status " + keeper.exitValue() + " (its log: " + address.log() + ")";
                return null;
            }
            Thread.sleep(5); // interrupted: the keeper starts anyway, for the next run
        }
        unavailable = "the keeper did not listen within " + patience.toSeconds() + " s (its log: " + address.log() + ")";
        return null;
    }

    private Process start() throws IOException {
        Path log = address.log();
        if (!Files.exists(log)) {
            Files.createFile(log, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        List<String> command = new ArrayList<>();
        SETSID.stream().filter(Files::isExecutable).findFirst().ifPresent(p -> command.add(p.toString()));
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Small and quick to start: the keeper mostly waits on sockets.
        command.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-cp",
                System.getProperty("java.class.path"), ConnectionKeeper.class.getName(), address.directory().toString()));
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        try (OutputStream settings = process.getOutputStream()) {
            settings.write(address.keeperInput());
        }
        return process;
    }

    private SocketChannel tryConnect() {
        try {
            return address.connect();
        } catch (IOException e) {
            return null;
        }
    }
}
