package dev.capstan.testkit.fleet.sh;

import java.io.Closeable;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.TreeMap;

/**
 * The open file descriptors of one redirection scope: stdin, stdout, stderr and any of 3-9 a script opened
 * ({@code exec 3>&2}, {@code 2>&3}, {@code 3>&-}). A command's redirections work on a copy, so they end with it; an
 * {@code exec} with only redirections changes the scope it runs in, so they last for the rest of that shell, as in sh.
 * A new process (subshell, {@code sh -c}, a background job) starts with a copy. Used by one thread at a time.
 */
final class Descriptors {

    private InputStream in;
    private OutputStream out;
    private OutputStream err;
    /** Descriptors 3 and up: input or output streams. */
    private final Map<Integer, Closeable> above = new TreeMap<>();

    Descriptors(InputStream in, OutputStream out, OutputStream err) {
        this.in = in;
        this.out = out;
        this.err = err;
    }

    Descriptors copy() {
        Descriptors copy = new Descriptors(in, out, err);
        copy.above.putAll(above);
        return copy;
    }

    /** @return a copy whose stdin, stdout and stderr are these */
    Descriptors with(InputStream newIn, OutputStream newOut, OutputStream newErr) {
        Descriptors copy = copy();
        copy.in = newIn;
        copy.out = newOut;
        copy.err = newErr;
        return copy;
    }

    InputStream in() {
        return in;
    }

    OutputStream out() {
        return out;
    }

    OutputStream err() {
        return err;
    }

    /** @return the stream open on {@code fd}, or null when it is closed */
    Closeable get(int fd) {
        return switch (fd) {
            case 0 -> in;
            case 1 -> out;
            case 2 -> err;
            default -> above.get(fd);
        };
    }

    /**
     * Opens {@code fd} on {@code stream}. Descriptors 0-2 keep their direction: an output stream is not made stdin,
     * nor an input stream stdout or stderr (scripts do not do that).
     */
    void set(int fd, Closeable stream) {
        switch (fd) {
            case 0 -> {
                if (stream instanceof InputStream s) {
                    in = s;
                }
            }
            case 1 -> {
                if (stream instanceof OutputStream s) {
                    out = s;
                }
            }
            case 2 -> {
                if (stream instanceof OutputStream s) {
                    err = s;
                }
            }
            default -> above.put(fd, stream);
        }
    }

    /** {@code fd>&-}: 0-2 then read nothing and write nowhere; 3 and up are gone. */
    void close(int fd) {
        switch (fd) {
            case 0 -> in = InputStream.nullInputStream();
            case 1 -> out = OutputStream.nullOutputStream();
            case 2 -> err = OutputStream.nullOutputStream();
            default -> above.remove(fd);
        }
    }
}
