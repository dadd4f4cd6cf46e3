package dev.capstan.transport.local;

import dev.capstan.Server;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.PartFiles;
import dev.capstan.transport.Prompt;
import dev.capstan.transport.Stream;
import dev.capstan.transport.TransferListener;
import dev.capstan.transport.Transport;
import dev.capstan.transport.TransportException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs commands as real local processes ({@code /bin/sh -c}) and copies files on this machine: for
 * {@code runLocally} and for servers marked {@code local}. There is no terminal: a {@link Prompt} is answered when
 * its marker appears on stdout or stderr (sudo does that with {@code -S}; without it sudo asks on the terminal
 * capstan runs in, if any, by itself).
 */
public final class LocalTransport implements Transport {

    @Override
    public CommandResult execute(Server server, Command command, OutputListener output) throws InterruptedException {
        long started = System.nanoTime();
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", command.shellLine());
        PromptAnswerer prompts = command.prompt() == null ? null : new PromptAnswerer(server, command.prompt());
        if (command.stdin() == null && prompts == null) {
            builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new TransportException(server, TransportException.Reason.OTHER, "cannot start /bin/sh on this machine: " + e.getMessage(), e);
        }
        if (prompts != null) {
            prompts.start(process);
        }
        StringBuilder stdout = new StringBuilder();
        Deque<String> stderrTail = new ArrayDeque<>();
        Thread outReader = Thread.ofVirtual().start(() -> pump(process.getInputStream(), prompts, (line, newline) -> {
            if (command.capture()) {
                synchronized (stdout) {
                    stdout.append(line);
                    if (newline) {
                        stdout.append('\n');
                    }
                }
            }
            output.line(server, Stream.STDOUT, line);
        }));
        Thread errReader = Thread.ofVirtual().start(() -> pump(process.getErrorStream(), prompts, (line, newline) -> {
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
        } finally {
            if (prompts != null) {
                prompts.close();
            }
        }
        if (prompts != null) {
            prompts.rethrowFailure();
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

    /** Receives one line of output and whether a newline ended it (only the very last line may lack one). */
    @FunctionalInterface
    private interface LineConsumer {
        void line(String line, boolean newline);
    }

    /**
     * Reads one output stream in chunks and hands over whole lines ({@code \n}, or {@code \r\n}, ends a line), each
     * decoded once complete. With a prompt to answer, the unfinished line is searched for it after every chunk, since
     * a prompt waits for its answer without ending its line.
     */
    private static void pump(InputStream stream, PromptAnswerer prompts, LineConsumer lines) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean promptedOnThisLine = false;
        int searched = 0; // how much of the unfinished line has been searched for a prompt
        byte[] chunk = new byte[8192];
        try (stream) {
            for (int n; (n = stream.read(chunk)) >= 0; ) {
                int start = 0;
                for (int i = 0; i < n; i++) {
                    if (chunk[i] != '\n') {
                        continue;
                    }
                    line.write(chunk, start, i - start);
                    start = i + 1;
                    if (prompts != null) {
                        promptedOnThisLine |= prompts.takeOut(line, searched);
                    }
                    searched = 0;
                    byte[] bytes = line.toByteArray();
                    line.reset();
                    int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                    // What is left of a prompt's line is sudo ending it, or the answer echoed: neither is output.
                    if (!(promptedOnThisLine && prompts.isEcho(bytes, end))) {
                        lines.line(new String(bytes, 0, end, StandardCharsets.UTF_8), true);
                    }
                    promptedOnThisLine = false;
                }
                line.write(chunk, start, n - start);
                if (prompts != null) {
                    promptedOnThisLine |= prompts.takeOut(line, searched);
                    searched = line.size();
                }
            }
        } catch (IOException e) {
            // the process was destroyed: its streams close under us
        }
        byte[] last = line.toByteArray();
        if (last.length > 0 && !(promptedOnThisLine && prompts.isEcho(last, last.length))) {
            lines.line(new String(last, StandardCharsets.UTF_8), false);
        }
    }

    /**
     * Answers a command's {@link Prompt}: the process gets a pipe as stdin (kept open, as a terminal would be), the
     * answer is asked for when the prompt first appears and written there; no answer, or the prompt appearing again
     * (the answer was refused), ends the process and fails the command.
     */
    private static final class PromptAnswerer {
        private final Server server;
        private final Prompt prompt;
        private final byte[] marker;
        private final AtomicInteger seen = new AtomicInteger();
        private volatile byte[] answer;
        private volatile String failure;
        private Process process;

        PromptAnswerer(Server server, Prompt prompt) {
            this.server = server;
            this.prompt = prompt;
            this.marker = prompt.marker().getBytes(StandardCharsets.UTF_8);
        }

        void start(Process started) {
            this.process = started;
        }

        /**
         * Cuts every prompt out of the unfinished line {@code line}, answering each; whether there was one. Only the
         * end of the line that may hold a marker not yet looked at is searched: {@code line} had {@code known}
         * bytes at the last search.
         */
        boolean takeOut(ByteArrayOutputStream line, int known) {
            boolean found = false;
            byte[] bytes = line.toByteArray();
            int at;
            while ((at = indexOf(bytes, marker, Math.max(0, known - marker.length + 1))) >= 0) {
                found = true;
                line.reset();
                line.write(bytes, 0, at);
                line.write(bytes, at + marker.length, bytes.length - at - marker.length);
                bytes = line.toByteArray();
                answer(seen.incrementAndGet());
            }
            return found;
        }

        /** Whether what is left of a prompt's line, {@code line[0, length)}, is nothing or the answer's echo. */
        boolean isEcho(byte[] line, int length) {
            byte[] known = answer;
            return length == 0 || (known != null && Arrays.equals(line, 0, length, known, 0, known.length));
        }

        private synchronized void answer(int count) {
            if (failure != null) {
                return;
            }
            if (count > 1) {
                fail("sudo on " + server.label() + " refused the password");
                return;
            }
            String text = prompt.answer().get();
            if (text == null) {
                fail("sudo on " + server.label() + " asked for a password: set sudo_password (cap.secret) or run"
                        + " capstan from a terminal");
                return;
            }
            answer = text.getBytes(StandardCharsets.UTF_8);
            try {
                OutputStream in = process.getOutputStream();
                in.write(answer);
                in.write('\n');
                in.flush();
            } catch (IOException e) {
                // the process ended before reading the answer: its exit status tells the rest
            }
        }

        private void fail(String message) {
            failure = message;
            destroyTree(process);
        }

        /** The process has ended: nothing more to answer. */
        void close() {
            try {
                process.getOutputStream().close();
            } catch (IOException e) {
                // already gone with the process
            }
        }

        void rethrowFailure() {
            if (failure != null) {
                throw new TransportException(server, TransportException.Reason.OTHER, failure);
            }
        }

        private static int indexOf(byte[] bytes, byte[] marker, int from) {
            outer:
            for (int i = from; i + marker.length <= bytes.length; i++) {
                for (int j = 0; j < marker.length; j++) {
                    if (bytes[i + j] != marker[j]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }
    }

    /** Ends the process and everything it started, so that no command outlives a timeout or Ctrl-C. */
    private static void destroyTree(Process process) {
        // The shell first, its children after (listed before, while they are still its own): a shell whose running
        // child is killed first goes on to its next command (`sleep 30; touch done` touched done when interrupted).
        List<ProcessHandle> children = process.descendants().toList();
        process.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
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
                if (mode != null) {
                    Files.setPosixFilePermissions(target, permissions(mode));
                }
            } else {
                refuseMissingDirectory(remote);
                Path file = Files.isDirectory(target) ? target.resolve(local.getFileName().toString()) : target;
                // the source's mode, as an upload over SFTP carries it
                int wanted = mode != null ? mode : (Integer) Files.getAttribute(local, "unix:mode") & 07777;
                replace(file, wanted, mode != null, written -> {
                    try (OutputStream out = Files.newOutputStream(written)) { // through a link, not over it
                        Files.copy(local, out);
                    }
                });
                progress.progress(server, remote, Files.size(file), Files.size(file));
            }
        } catch (IOException | UncheckedIOException e) {
            throw new TransportException(server, TransportException.Reason.TRANSFER,
                    "upload of " + local + " to " + remote + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void put(Server server, byte[] content, String remote, Integer mode) {
        try {
            refuseMissingDirectory(remote);
            replace(Path.of(remote), mode, mode != null, part -> Files.write(part, content));
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

    /** Writes a file's bytes to {@code path}. */
    @FunctionalInterface
    private interface FileWriter {
        void write(Path path) throws IOException;
    }

    /** A path written as a directory ({@code dir/}) that is none: refused, as over SFTP, not written as a file. */
    private static void refuseMissingDirectory(String remote) throws IOException {
        if (remote.endsWith("/") && !Files.isDirectory(Path.of(remote))) {
            throw new java.nio.file.NoSuchFileException(remote, null, "no such directory");
        }
    }

    /**
     * Replaces {@code target} at once, as the SSH transport does: written to a part file beside it that is moved over
     * it, or in place when it is a link or not a regular file (a FIFO, a device), its directory refuses a new file,
     * or it is someone else's file that this user may write but not give away or replace. The part file is readable
     * by its owner only while it is written, then gets {@code mode} (null: that of the file replaced, else the default
     * for a new file), all twelve bits, and the owner and group of the file it replaces.
     */
    private static void replace(Path target, Integer mode, boolean explicit, FileWriter writer) throws IOException {
        Path part = target.resolveSibling(PartFiles.nameFor(target.getFileName().toString()));
        boolean link = Files.isSymbolicLink(target);
        PosixFileAttributes existing = Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
                ? Files.readAttributes(target, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                : null;
        if (existing == null && !link && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            writeInPlaceOfOthers(target, mode, explicit, writer); // a device or a FIFO: it keeps its mode
            return;
        }
        if (link || !created(part)) {
            writer.write(target); // through a link, or in a directory that refuses a new file
            if (mode != null) {
                Files.setAttribute(target, "unix:mode", mode);
            }
            return;
        }
        try {
            int fresh = (Integer) Files.getAttribute(part, "unix:mode") & 07777; // the umask's, for a new file
            Files.setPosixFilePermissions(part, EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
            if (existing != null && !ownedLike(part, existing)) {
                Files.deleteIfExists(part);
                writeInPlaceOfOthers(target, mode, explicit, writer);
                return;
            }
            writer.write(part); // a failure here (an unreadable source) leaves the target alone
            int kept = existing == null ? fresh : (Integer) Files.getAttribute(target, "unix:mode") & 07777;
            Files.setAttribute(part, "unix:mode", mode != null ? mode : kept);
            try {
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (java.nio.file.FileSystemException e) {
                if (existing == null || e instanceof java.nio.file.NoSuchFileException) {
                    throw e;
                }
                Files.deleteIfExists(part);
                writeInPlaceOfOthers(target, mode, explicit, writer); // a sticky directory: writable, not replaceable
            }
        } finally {
            Files.deleteIfExists(part);
        }
    }

    /**
     * Someone else's file, or a device or FIFO, written in place; its mode stays unless the recipe asked for one (set
     * first).
     */
    private static void writeInPlaceOfOthers(Path target, Integer mode, boolean explicit, FileWriter writer)
            throws IOException {
        if (explicit) {
            Files.setAttribute(target, "unix:mode", mode);
        }
        writer.write(target);
    }

    /** Gives {@code part} the owner and group of {@code existing}; false when this user may not. */
    private static boolean ownedLike(Path part, PosixFileAttributes existing) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(part, PosixFileAttributeView.class);
        PosixFileAttributes now = view.readAttributes();
        try {
            if (!now.owner().equals(existing.owner())) {
                view.setOwner(existing.owner());
            }
            if (!now.group().equals(existing.group())) {
                view.setGroup(existing.group());
            }
            return true;
        } catch (java.nio.file.FileSystemException e) {
            return false;
        }
    }

    /** Creates {@code file}; false when its directory does not let this user. */
    private static boolean created(Path file) throws IOException {
        try {
            Files.createFile(file);
            return true;
        } catch (AccessDeniedException e) {
            return false;
        }
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
