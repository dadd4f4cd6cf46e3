package dev.capstan.testkit.fleet.sh;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import dev.capstan.testkit.fleet.sh.FsException.Errno;

/**
 * The path resolution and the POSIX checks every {@link HostFs} shares. Subclasses implement "raw" operations on
 * canonical paths only: absolute, without {@code .} or {@code ..}, and with no symbolic link before the last component.
 * Every public call holds this object's monitor while it resolves and acts, so that the check-then-act steps (does the
 * target exist? is the directory empty?) are atomic per host.
 */
abstract class ResolvingFs implements HostFs {

    /** Linux's limit on symbolic links followed while resolving one path. */
    private static final int MAX_LINKS = 40;

    // ---- raw operations on canonical paths -------------------------------------------------------------------

    /** @return what the canonical path names, without following a link there; {@code null} if missing */
    protected abstract Stat rawLstat(String canonical);

    protected abstract String rawReadlink(String canonical) throws FsException;

    protected abstract List<String> rawList(String canonicalDir) throws FsException;

    protected abstract void rawMkdir(String canonical) throws FsException;

    protected abstract InputStream rawOpenRead(String canonical) throws FsException;

    protected abstract OutputStream rawOpenWrite(String canonical, WriteMode mode) throws FsException;

    protected abstract void rawDelete(String canonical) throws FsException;

    /** Moves {@code from} onto {@code to}, replacing what is there (checked to be replaceable). */
    protected abstract void rawRename(String from, String to) throws FsException;

    protected abstract void rawSymlink(String target, String canonical) throws FsException;

    protected abstract void rawSetModified(String canonical, long millis) throws FsException;

    protected abstract void rawChmod(String canonical, int mode) throws FsException;

    // ---- HostFs -----------------------------------------------------------------------------------------------

    @Override
    public synchronized Stat stat(String path) {
        try {
            return rawLstat(canonical(path, true));
        } catch (FsException e) {
            return null;
        }
    }

    @Override
    public synchronized Stat lstat(String path) {
        try {
            return rawLstat(canonical(path, false));
        } catch (FsException e) {
            return null;
        }
    }

    @Override
    public synchronized List<String> list(String dir) throws FsException {
        String c = canonical(dir, true);
        Stat s = existing(c, dir);
        if (!s.isDirectory()) {
            throw new FsException(Errno.ENOTDIR, dir);
        }
        return rawList(c);
    }

    @Override
    public synchronized void mkdir(String path) throws FsException {
        String c = canonical(path, false);
        if (rawLstat(c) != null) {
            throw new FsException(Errno.EEXIST, path);
        }
        rawMkdir(c);
    }

    @Override
    public synchronized InputStream openRead(String path) throws FsException {
        String c = canonical(path, true);
        if (existing(c, path).isDirectory()) {
            throw new FsException(Errno.EISDIR, path);
        }
        return rawOpenRead(c);
    }

    @Override
    public synchronized OutputStream openWrite(String path, WriteMode mode) throws FsException {
        if (mode == WriteMode.CREATE_NEW) {
            // O_CREAT|O_EXCL: anything there, even a dangling link, is a conflict
            String c = canonical(path, false);
            if (rawLstat(c) != null) {
                throw new FsException(Errno.EEXIST, path);
            }
            return rawOpenWrite(c, mode);
        }
        String c = canonical(path, true);
        Stat s = rawLstat(c);
        if (s != null && s.isDirectory()) {
            throw new FsException(Errno.EISDIR, path);
        }
        return rawOpenWrite(c, mode);
    }

    @Override
    public synchronized void delete(String path) throws FsException {
        String c = canonical(path, false);
        Stat s = existing(c, path);
        if (c.equals("/")) {
            throw new FsException(Errno.EBUSY, path);
        }
        if (s.isDirectory() && !rawList(c).isEmpty()) {
            throw new FsException(Errno.ENOTEMPTY, path);
        }
        rawDelete(c);
    }

    @Override
    public synchronized void rename(String from, String to) throws FsException {
        String cf = canonical(from, false);
        String ct = canonical(to, false);
        Stat sf = existing(cf, from);
        if (cf.equals(ct)) {
            return;
        }
        if (cf.equals("/") || ct.equals("/")) {
            throw new FsException(Errno.EBUSY, cf.equals("/") ? from : to);
        }
        Stat st = rawLstat(ct);
        if (sf.isDirectory()) {
            if (ct.startsWith(cf + "/")) {
                throw new FsException(Errno.EINVAL, to);
            }
            if (st != null && !st.isDirectory()) {
                throw new FsException(Errno.ENOTDIR, to);
            }
            if (st != null && !rawList(ct).isEmpty()) {
                throw new FsException(Errno.ENOTEMPTY, to);
            }
        } else if (st != null && st.isDirectory()) {
            throw new FsException(Errno.EISDIR, to);
        }
        rawRename(cf, ct);
    }

    @Override
    public synchronized void symlink(String target, String link) throws FsException {
        String c = canonical(link, false);
        if (rawLstat(c) != null) {
            throw new FsException(Errno.EEXIST, link);
        }
        rawSymlink(target, c);
    }

    @Override
    public synchronized String readlink(String path) throws FsException {
        String c = canonical(path, false);
        if (!existing(c, path).isSymlink()) {
            throw new FsException(Errno.EINVAL, path);
        }
        return rawReadlink(c);
    }

    @Override
    public synchronized String resolve(String path) throws FsException {
        return canonical(path, true);
    }

    @Override
    public synchronized void setModified(String path, long millis) throws FsException {
        String c = canonical(path, true);
        existing(c, path);
        rawSetModified(c, millis);
    }

    @Override
    public synchronized void chmod(String path, int mode) throws FsException {
        String c = canonical(path, true);
        existing(c, path);
        rawChmod(c, mode);
    }

    // ---- resolution -------------------------------------------------------------------------------------------

    private Stat existing(String canonical, String path) throws FsException {
        Stat s = rawLstat(canonical);
        if (s == null) {
            throw new FsException(Errno.ENOENT, path);
        }
        return s;
    }

    /**
     * Resolves {@code path} physically, as the kernel does: {@code ..} after a symbolic link goes to the parent of
     * what the link points to. Every component but the last must exist and be a directory (after following links).
     *
     * @param followLast whether a symbolic link in the last component is followed too; a trailing slash forces it
     */
    protected final String canonical(String path, boolean followLast) throws FsException {
        boolean follow = followLast || (path.length() > 1 && path.endsWith("/"));
        Deque<String> todo = new ArrayDeque<>(components(path));
        List<String> done = new ArrayList<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String name = todo.removeFirst();
            if (name.equals(".")) {
                continue;
            }
            if (name.equals("..")) {
                if (!done.isEmpty()) {
                    done.remove(done.size() - 1);
                }
                continue;
            }
            boolean last = todo.stream().allMatch(c -> c.equals("."));
            String candidate = join(done, name);
            Stat s = rawLstat(candidate);
            if (s != null && s.isSymlink() && (!last || follow)) {
                if (++links > MAX_LINKS) {
                    throw new FsException(Errno.ELOOP, path);
                }
                String target = rawReadlink(candidate);
                List<String> parts = components(target);
                for (int i = parts.size() - 1; i >= 0; i--) {
                    todo.addFirst(parts.get(i));
                }
                if (target.startsWith("/")) {
                    done.clear();
                }
                continue;
            }
            if (!last) {
                if (s == null) {
                    throw new FsException(Errno.ENOENT, path);
                }
                if (!s.isDirectory()) {
                    throw new FsException(Errno.ENOTDIR, path);
                }
            }
            done.add(name);
        }
        return join(done, null);
    }

    private static List<String> components(String path) {
        List<String> parts = new ArrayList<>();
        for (String p : path.split("/")) {
            if (!p.isEmpty()) {
                parts.add(p);
            }
        }
        return parts;
    }

    private static String join(List<String> done, String extra) {
        StringBuilder sb = new StringBuilder();
        for (String d : done) {
            sb.append('/').append(d);
        }
        if (extra != null) {
            sb.append('/').append(extra);
        }
        return sb.isEmpty() ? "/" : sb.toString();
    }

    /** @return the parent of a canonical path; {@code "/"} for the root */
    protected static String parentOf(String canonical) {
        int slash = canonical.lastIndexOf('/');
        return slash <= 0 ? "/" : canonical.substring(0, slash);
    }

    /** @return the last component of a canonical path */
    protected static String nameOf(String canonical) {
        return canonical.substring(canonical.lastIndexOf('/') + 1);
    }
}
