package dev.capstan.testkit.fleet.sh;

import java.io.IOException;

/**
 * A file system call failed the way a POSIX call fails: with an error number. {@link #getMessage()} is the C library's
 * text for it ({@code "No such file or directory"}), which is what utilities print after the path.
 */
public final class FsException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The error numbers the emulated file systems report. */
    public enum Errno {
        ENOENT("No such file or directory"),
        EEXIST("File exists"),
        ENOTDIR("Not a directory"),
        EISDIR("Is a directory"),
        ENOTEMPTY("Directory not empty"),
        EINVAL("Invalid argument"),
        ELOOP("Too many levels of symbolic links"),
        EACCES("Permission denied"),
        EBUSY("Device or resource busy"),
        EIO("Input/output error");

        private final String text;

        Errno(String text) {
            this.text = text;
        }

        /** @return the C library's message, e.g. {@code "File exists"} */
        public String text() {
            return text;
        }
    }

    private final Errno errno;
    private final String path;

    /**
     * @param errno what went wrong
     * @param path  the path the call was about
     */
    public FsException(Errno errno, String path) {
        super(errno.text());
        this.errno = errno;
        this.path = path;
    }

    /** @return the error number */
    public Errno errno() {
        return errno;
    }

    /** @return the path the failed call was about */
    public String path() {
        return path;
    }
}
