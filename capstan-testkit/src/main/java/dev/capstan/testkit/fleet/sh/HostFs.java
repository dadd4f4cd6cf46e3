package dev.capstan.testkit.fleet.sh;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * The file system of one emulated host, as the emulated shell sees it: absolute paths ({@code /srv/app/current}),
 * directories, regular files and symbolic links, with POSIX semantics for the calls utilities make (an atomic
 * {@code rename} that replaces its target, {@code O_EXCL} creation, {@code readlink}, ...). Paths may contain
 * {@code .}, {@code ..} and symbolic links; they are resolved physically, as the kernel does. All methods are
 * thread-safe: several channels of one host run commands at once.
 */
public interface HostFs {

    /** What a path names. */
    enum Type { FILE, DIRECTORY, SYMLINK }

    /**
     * What {@code stat(2)} tells.
     *
     * @param type           what it is
     * @param size           bytes of content (for a link: the length of its target)
     * @param modifiedMillis last modification, milliseconds since the epoch
     * @param mode           permission bits, e.g. {@code 0644}
     */
    record Stat(Type type, long size, long modifiedMillis, int mode) {

        /** @return whether it is a directory */
        public boolean isDirectory() {
            return type == Type.DIRECTORY;
        }

        /** @return whether it is a regular file */
        public boolean isFile() {
            return type == Type.FILE;
        }

        /** @return whether it is a symbolic link (only from {@link HostFs#lstat}) */
        public boolean isSymlink() {
            return type == Type.SYMLINK;
        }
    }

    /** How {@link #openWrite} opens a file. */
    enum WriteMode {
        /** Create or truncate ({@code >}). */
        TRUNCATE,
        /** Create or append ({@code >>}). */
        APPEND,
        /** Create; fail with EEXIST if anything exists there ({@code set -C; >}). */
        CREATE_NEW
    }

    /**
     * @param path a path
     * @return what it names after following symbolic links, or {@code null} if that does not exist
     */
    Stat stat(String path);

    /**
     * @param path a path
     * @return what it names, a symbolic link itself rather than what it points to; {@code null} if missing
     */
    Stat lstat(String path);

    /**
     * @param dir a directory (links followed)
     * @return the names in it, without {@code .} and {@code ..}, in byte order
     * @throws FsException ENOENT, ENOTDIR
     */
    List<String> list(String dir) throws FsException;

    /**
     * Creates one directory; its parent must exist.
     *
     * @throws FsException EEXIST, ENOENT, ENOTDIR
     */
    void mkdir(String path) throws FsException;

    /**
     * @return the content of a regular file (links followed), from the start
     * @throws FsException ENOENT, EISDIR
     */
    InputStream openRead(String path) throws FsException;

    /**
     * Opens a regular file for writing (links followed), creating it when missing.
     *
     * @throws FsException ENOENT (no parent), EISDIR, EEXIST ({@link WriteMode#CREATE_NEW})
     */
    OutputStream openWrite(String path, WriteMode mode) throws FsException;

    /**
     * Removes a file, a symbolic link (not what it points to) or an empty directory.
     *
     * @throws FsException ENOENT, ENOTEMPTY, EBUSY (the root)
     */
    void delete(String path) throws FsException;

    /**
     * {@code rename(2)}: atomically replaces {@code to} when it exists (a directory only by a directory, and only an
     * empty one); symbolic links are renamed, not followed.
     *
     * @throws FsException ENOENT, EISDIR, ENOTDIR, ENOTEMPTY, EINVAL (a directory into itself)
     */
    void rename(String from, String to) throws FsException;

    /**
     * Creates a symbolic link at {@code link} holding {@code target} verbatim.
     *
     * @throws FsException EEXIST, ENOENT
     */
    void symlink(String target, String link) throws FsException;

    /**
     * @return the target a symbolic link holds, verbatim
     * @throws FsException ENOENT, EINVAL (not a link)
     */
    String readlink(String path) throws FsException;

    /**
     * The path with every symbolic link resolved and no {@code .} or {@code ..}; the last component need not exist.
     *
     * @throws FsException ENOENT or ENOTDIR for a missing or non-directory parent, ELOOP
     */
    String resolve(String path) throws FsException;

    /** Sets the modification time (links followed). */
    void setModified(String path, long millis) throws FsException;

    /** Sets the permission bits (links followed). */
    void chmod(String path, int mode) throws FsException;

    /**
     * {@code mkdir -p}: creates the directory and any missing parents; an existing directory is fine.
     *
     * @throws FsException EEXIST if something other than a directory is in the way, ENOTDIR
     */
    default void mkdirs(String path) throws FsException {
        Stat existing = stat(path);
        if (existing != null) {
            if (!existing.isDirectory()) {
                throw new FsException(FsException.Errno.EEXIST, path);
            }
            return;
        }
        StringBuilder prefix = new StringBuilder();
        for (String part : path.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            prefix.append('/').append(part);
            String current = prefix.toString();
            Stat s = stat(current);
            if (s == null) {
                try {
                    mkdir(current);
                } catch (FsException e) {
                    Stat now = stat(current);
                    if (now == null || !now.isDirectory()) {
                        throw e; // not just another command creating it at the same moment
                    }
                }
            } else if (!s.isDirectory()) {
                throw new FsException(FsException.Errno.ENOTDIR, path);
            }
        }
    }
}
