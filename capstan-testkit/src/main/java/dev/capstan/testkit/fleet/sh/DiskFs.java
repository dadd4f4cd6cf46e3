package dev.capstan.testkit.fleet.sh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import dev.capstan.testkit.fleet.sh.FsException.Errno;

/**
 * A host file system kept in a real directory, {@link #root()}, which stands for the host's {@code /}: the path
 * {@code /srv/app} is {@code root/srv/app}. This is what SFTP needs, since MINA's SFTP server works on a real
 * (java.nio) file system: a file uploaded to {@code /srv/app/x} is the file the emulated shell sees there.
 *
 * <p>Absolute link targets are stored with the root in front ({@code ln -s /srv/app/releases/1 current} writes a link
 * to {@code root/srv/app/releases/1}) so that the operating system, and with it SFTP, resolves them inside the root;
 * {@link #readlink} takes the root off again.
 */
public final class DiskFs extends ResolvingFs {

    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private final Path root;
    private final String rootText;

    /**
     * @param root the directory standing for {@code /}; created if missing, with {@code tmp} and {@code home}
     * @throws UncheckedIOException if it cannot be created
     */
    public DiskFs(Path root) {
        try {
            Files.createDirectories(root.resolve("tmp"));
            Files.createDirectories(root.resolve("home"));
            this.root = root.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the host root " + root, e);
        }
        this.rootText = this.root.toString();
    }

    /** @return the real directory standing for the host's {@code /} */
    public Path root() {
        return root;
    }

    /**
     * @param path an absolute path on the host
     * @return where that is on this machine
     */
    public Path realPath(String path) {
        String relative = path.replaceFirst("^/+", "");
        return relative.isEmpty() ? root : root.resolve(relative);
    }

    @Override
    protected Stat rawLstat(String canonical) {
        try {
            PosixFileAttributes a = Files.readAttributes(realPath(canonical), PosixFileAttributes.class, NOFOLLOW);
            Type type = a.isSymbolicLink() ? Type.SYMLINK : a.isDirectory() ? Type.DIRECTORY : Type.FILE;
            long size = type == Type.SYMLINK ? rawReadlinkQuietly(canonical).length() : a.size();
            return new Stat(type, size, a.lastModifiedTime().toMillis(), mode(a.permissions()));
        } catch (IOException e) {
            return null;
        }
    }

    private String rawReadlinkQuietly(String canonical) {
        try {
            return rawReadlink(canonical);
        } catch (FsException e) {
            return "";
        }
    }

    @Override
    protected String rawReadlink(String canonical) throws FsException {
        try {
            String target = Files.readSymbolicLink(realPath(canonical)).toString();
            if (target.equals(rootText)) {
                return "/";
            }
            return target.startsWith(rootText + "/") ? target.substring(rootText.length()) : target;
        } catch (IOException e) {
            throw map(e, canonical);
        }
    }

    @Override
    protected List<String> rawList(String canonicalDir) throws FsException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(realPath(canonicalDir))) {
            dir.forEach(p -> names.add(p.getFileName().toString()));
        } catch (IOException e) {
            throw map(e, canonicalDir);
        }
        Collections.sort(names);
        return names;
    }

    @Override
    protected void rawMkdir(String canonical) throws FsException {
        try {
            Files.createDirectory(realPath(canonical));
        } catch (IOException e) {
            throw map(e, canonical);
        }
    }

    @Override
    protected InputStream rawOpenRead(String canonical) throws FsException {
        try {
            return Files.newInputStream(realPath(canonical));
        } catch (IOException e) {
            throw map(e, canonical);
        }
    }

    @Override
    protected OutputStream rawOpenWrite(String canonical, WriteMode mode) throws FsException {
        OpenOption[] options = switch (mode) {
            case TRUNCATE -> new OpenOption[] {StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE};
            case APPEND -> new OpenOption[] {StandardOpenOption.CREATE, StandardOpenOption.APPEND};
            case CREATE_NEW -> new OpenOption[] {StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE};
        };
        try {
            return Files.newOutputStream(realPath(canonical), options);
        } catch (IOException e) {
            throw map(e, canonical);
        }
    }

    @Override
    protected void rawDelete(String canonical) throws FsException {
        try {
            Files.delete(realPath(canonical));
        } catch (IOException e) {
            throw map(e, canonical);
        }
    }

    @Override
    protected void rawRename(String from, String to) throws FsException {
        try {
            // ATOMIC_MOVE is rename(2): it replaces a file or an empty directory at the target in one step
            Files.move(realPath(from), realPath(to), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw map(e, from);
        }
    }

    @Override
    protected void rawSymlink(String target, String canonical) throws FsException {
        String stored = target.startsWith("/") ? rootText + target : target;
        try {
            Files.createSymbolicLink(realPath(canonical), Path.of(stored));
        } catch (IOException e) {
            throw map(e, canonical);
        }
    }

    @Override
    protected void rawSetModified(String canonical, long millis) throws FsException {
        try {
            Files.setLastModifiedTime(realPath(canonical), FileTime.fromMillis(millis));
        } catch (IOException e) {
            throw map(e, canonical);
        }
    }

    @Override
    protected void rawChmod(String canonical, int mode) throws FsException {
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] all = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE, high bit first
        for (int i = 0; i < all.length; i++) {
            if ((mode & (1 << (all.length - 1 - i))) != 0) {
                perms.add(all[i]);
            }
        }
        try {
            Files.setPosixFilePermissions(realPath(canonical), perms);
        } catch (IOException e) {
            throw map(e, canonical);
        }
    }

    private static int mode(Set<PosixFilePermission> perms) {
        int mode = 0;
        PosixFilePermission[] all = PosixFilePermission.values();
        for (int i = 0; i < all.length; i++) {
            if (perms.contains(all[i])) {
                mode |= 1 << (all.length - 1 - i);
            }
        }
        return mode;
    }

    private static FsException map(IOException e, String path) {
        Errno errno;
        if (e instanceof NoSuchFileException) {
            errno = Errno.ENOENT;
        } else if (e instanceof FileAlreadyExistsException) {
            errno = Errno.EEXIST;
        } else if (e instanceof DirectoryNotEmptyException) {
            errno = Errno.ENOTEMPTY;
        } else if (e instanceof NotDirectoryException) {
            errno = Errno.ENOTDIR;
        } else if (e instanceof AccessDeniedException) {
            errno = Errno.EACCES;
        } else if (e instanceof FileSystemLoopException) {
            errno = Errno.ELOOP;
        } else if (e instanceof FileSystemException f && f.getReason() != null) {
            errno = switch (f.getReason()) {
                case "Is a directory" -> Errno.EISDIR;
                case "Not a directory" -> Errno.ENOTDIR;
                case "Directory not empty" -> Errno.ENOTEMPTY;
                default -> Errno.EIO;
            };
        } else {
            errno = Errno.EIO;
        }
        return new FsException(errno, path);
    }
}
