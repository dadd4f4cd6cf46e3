package dev.capstan.cli.output;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

/**
 * A UTF-8 text file written one whole line at a time, flushed after each so that {@code tail -f} and a
 * crash both see every line. A write error does not stop the run: it is reported once and the file is
 * given up. Thread-safe.
 */
final class LineFile implements AutoCloseable {
    private final Path path;
    private final Consumer<String> warn;
    private BufferedWriter writer;

    private LineFile(Path path, BufferedWriter writer, Consumer<String> warn) {
        this.path = path;
        this.writer = writer;
        this.warn = warn;
    }

    /**
     * Opens {@code path}, creating its directory.
     *
     * @param append keep what is there (the log file) rather than start empty (the JSON log)
     * @param warn   told once, in one line, when writing fails later
     * @throws UncheckedIOException when the file cannot be opened
     */
    static LineFile open(Path path, boolean append, Consumer<String> warn) {
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            BufferedWriter writer = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
            return new LineFile(path, writer, warn);
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": " + describe(e), e);
        }
    }

    synchronized void write(String line) {
        if (writer == null) {
            return;
        }
        try {
            writer.write(line);
            writer.write('\n');
            writer.flush();
        } catch (IOException e) {
            warn.accept("cannot write " + path + " (" + describe(e) + "); nothing more is written to it");
            closeQuietly();
        }
    }

    @Override
    public synchronized void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        if (writer != null) {
            try {
                writer.close();
            } catch (IOException e) {
                // already reported by the write that failed, or nothing was lost
            }
            writer = null;
        }
    }

    static String describe(IOException e) {
        String kind = e.getClass().getSimpleName().replace("Exception", "");
        return e.getMessage() == null ? kind : kind.isEmpty() ? e.getMessage() : kind + ": " + e.getMessage();
    }
}
