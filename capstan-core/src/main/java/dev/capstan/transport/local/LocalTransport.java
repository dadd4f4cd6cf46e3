package dev.capstan.transport.local;

import dev.capstan.Server;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.Stream;
import dev.capstan.transport.TransferListener;
import dev.capstan.transport.Transport;
import dev.capstan.transport.TransportException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs commands as real local processes ({@code /bin/sh -c}) and copies files on this machine: for
 * {@code runLocally} and for servers marked {@code local}.
 */
public final class LocalTransport implements Transport {

    @Override
    public CommandResult execute(Server server, Command command, OutputListener output) throws InterruptedException {
        long started = System.nanoTime();
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", command.shellLine());
        if (command.stdin() == null) {
            builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new TransportException(server, TransportException.Reason.OTHER, "cannot start /bin/sh on this machine: " + e.getMessage(), e);
        }
        StringBuilder stdout = new StringBuilder();
        Deque<String> stderrTail = new ArrayDeque<>();
        Thread outReader = Thread.ofVirtual().start(() -> pump(process.getInputStream(), line -> {
            if (command.capture()) {
                synchronized (stdout) {
                    stdout.append(line).append('\n');
                }
            }
            output.line(server, Stream.STDOUT, line);
        }));
        Thread errReader = Thread.ofVirtual().start(() -> pump(process.getErrorStream(), line -> {
            synchronized (stderrTail) {
                stderrTail.addLast(line);
                if (stderrTail.size() > CommandResult.STDERR_TAIL) {
                    stderrTail.removeFirst();
                }
            }
            output.line(server, Stream.STDERR, line);
        }));
        try {
            if (command.stdin() != null) {
                writeStdin(process, command.stdin());
            }
            boolean ended = command.timeout() == null
                    ? waitForever(process)
                    : process.waitFor(command.timeout().toMillis(), TimeUnit.MILLISECONDS);
            if (!ended) {
                destroyTree(process);
                throw new TransportException(server, TransportException.Reason.COMMAND_TIMEOUT,
                        "`" + command.line() + "` on " + server.label() + " timed out after " + format(command.timeout()));
            }
            outReader.join();
            errReader.join();
        } catch (InterruptedException e) {
            destroyTree(process);
            throw e;
        }
        synchronized (stderrTail) {
            return new CommandResult(server, process.exitValue(), stdout.toString(), List.copyOf(stderrTail),
                    Duration.ofNanos(System.nanoTime() - started));
        }
    }

    private static boolean waitForever(Process process) throws InterruptedException {
        process.waitFor();
        return true;
    }

    private static void writeStdin(Process process, byte[] input) {
        try (OutputStream in = process.getOutputStream()) {
            in.write(input);
        } catch (IOException e) {
            // the command exited without reading all of its input: its exit status tells the story
        }
    }

    private static void pump(InputStream stream, java.util.function.Consumer<String> lines) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                lines.accept(line);
            }
        } catch (IOException e) {
            // the process was destroyed: its streams close under us
        }
    }

    /** Ends the process and everything it started, so that no command outlives a timeout or Ctrl-C. */
    private static void destroyTree(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private static String format(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    @Override
    public void upload(Server server, Path local, String remote, Integer mode, TransferListener progress) {
        try {
            Path target = Path.of(remote);
            if (Files.isDirectory(local)) {
                copyTree(local, target);
            } else {
                Files.copy(local, target, StandardCopyOption.REPLACE_EXISTING);
                progress.progress(server, remote, Files.size(target), Files.size(target));
            }
            if (mode != null) {
                Files.setPosixFilePermissions(target, permissions(mode));
            }
        } catch (IOException | UncheckedIOException e) {
            throw new TransportException(server, TransportException.Reason.TRANSFER,
                    "upload of " + local + " to " + remote + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void put(Server server, byte[] content, String remote, Integer mode) {
        try {
            Path target = Path.of(remote);
            Files.write(target, content);
            if (mode != null) {
                Files.setPosixFilePermissions(target, permissions(mode));
            }
        } catch (IOException e) {
            throw new TransportException(server, TransportException.Reason.TRANSFER, "writing " + remote + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void download(Server server, String remote, Path local, TransferListener progress) {
        try {
            Path source = Path.of(remote);
            if (Files.isDirectory(source)) {
                copyTree(source, local);
            } else {
                Files.copy(source, local, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | UncheckedIOException e) {
            throw new TransportException(server, TransportException.Reason.TRANSFER,
                    "download of " + remote + " to " + local + " failed: " + e.getMessage(), e);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.COPY_ATTRIBUTES);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Octal mode bits as POSIX permissions. */
    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int bit = 0; bit < order.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                set.add(order[bit]);
            }
        }
        return set;
    }

    @Override
    public void close() {
        // nothing held open between commands
    }
}
