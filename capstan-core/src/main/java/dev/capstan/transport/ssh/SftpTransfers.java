package dev.capstan.transport.ssh;

import dev.capstan.Server;
import dev.capstan.transport.PartFiles;
import dev.capstan.transport.TransferListener;
import dev.capstan.transport.TransportException;
import dev.capstan.transport.TransportException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.sshd.client.channel.ClientChannel;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClient.Attributes;
import org.apache.sshd.sftp.client.SftpClient.DirEntry;
import org.apache.sshd.sftp.client.SftpClient.OpenMode;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHPosixRenameExtension;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;
import org.apache.sshd.sftp.common.SftpHelper;

/**
 * Uploads and downloads over SFTP. Each transfer runs on its own SFTP channel, which takes a channel slot like a
 * command does. MINA's SFTP streams pipeline reads and writes, so a transfer is not one round trip per block.
 *
 * <p>Semantics: {@code upload(file, remote)} writes {@code remote}, or {@code remote/<name>} when {@code remote} is
 * an existing directory; the remote parent directory must exist (like scp). {@code upload(dir, remote)} copies the
 * directory's contents into {@code remote}, creating it and every subdirectory. Downloads mirror this locally. File
 * and directory permissions are carried over; an explicit {@code mode} applies to the uploaded files.
 *
 * <p>A single file (an upload of one file, or {@code put}) replaces its target at once, as Ansible's {@code copy}
 * does: it is written beside the target as {@code <name>.capstan-part-<hex>} and renamed over it
 * ({@code posix-rename@openssh.com}), so that a transfer cut short (Ctrl-C, a lost connection) never leaves a
 * truncated file where a service would read it, only that part file beside it ({@link PartFiles}). The part file
 * gets the file's permission bits and the replaced file's owner before any byte (see {@code replace}). It is written
 * in place where that cannot work: the target is a symbolic link (written through, the link kept) or not a regular
 * file (a device, a FIFO), the directory does not let the user create a file, the user may not give the file its
 * owner or replace it (another user's file, a sticky directory), or the server lacks the rename extension. Files of
 * a directory upload are written in place.
 */
final class SftpTransfers {

    /** Progress is reported per file and at most once per this many bytes. */
    private static final long PROGRESS_STEP = 1 << 20;
    private static final int COPY_BUFFER = 256 * 1024;
    /**
     * Bytes per SFTP read/write request: twice MINA's default, for about 1.5x the throughput on loopback, and well
     * within the 256 KiB that OpenSSH's sftp-server accepts.
     */
    private static final int REQUEST_SIZE = 64 * 1024;
    private static final int PERMISSION_BITS = 07777;
    /** Set-user-id, set-group-id and sticky: a write to a file, or a change of its owner, clears them. */
    private static final int SPECIAL_BITS = 07000;

    private static final HostConnections.ChannelOpener<SftpClient> SFTP = new HostConnections.ChannelOpener<>() {
        @Override
        public SftpClient open(ClientSession session) throws IOException {
            return SftpClientFactory.instance().createSftpClient(session);
        }

        @Override
        public ClientChannel channelOf(SftpClient sftp) {
            return sftp.getClientChannel();
        }
    };

    private SftpTransfers() {
    }

    static void upload(Server server, HostConnections host, Path local, String remote, Integer mode,
            TransferListener listener) throws InterruptedException {
        if (!Files.exists(local)) {
            throw new TransportException(server, Reason.TRANSFER,
                    "cannot upload " + local + " to " + server.label() + ": no such local file or directory");
        }
        String what = "upload of " + local + " to " + server.label() + ":" + remote;
        withSftp(server, host, what, sftp -> {
            if (!Files.isDirectory(local)) {
                Target to = target(sftp, remote, local.getFileName());
                Item item = new Item(local, to.path(), false, Files.size(local), mode != null ? mode : localMode(local));
                inDirectoryOf(to.path(), () -> replace(sftp, to, new Wanted(item.mode(), mode != null), out -> {
                    try (InputStream in = Files.newInputStream(local)) { // written twice if the rename is refused
                        copy(in, out, item, new Progress(server, listener, List.of(item)));
                    }
                }));
                return;
            }
            List<Item> plan = planUpload(local, remote, mode);
            Progress progress = new Progress(server, listener, plan);
            inDirectoryOf(remote, () -> {
                for (Item item : plan) {
                    if (item.directory()) {
                        mkdirIfMissing(sftp, item.remote());
                    } else {
                        uploadFile(sftp, item, progress);
                    }
                }
            });
            setDirectoryModes(plan, item -> sftp.setStat(item.remote(), new Attributes().perms(item.mode())));
        });
    }

    static void put(Server server, HostConnections host, byte[] content, String remote, Integer mode)
            throws InterruptedException {
        String what = "writing " + server.label() + ":" + remote;
        withSftp(server, host, what, sftp -> inDirectoryOf(remote, () -> replace(sftp,
                new Target(remote, lstat(sftp, remote)), new Wanted(mode, mode != null), out -> out.write(content))));
    }

    /** Writing that needs {@code path}'s directory: "no such file" there means that directory is missing. */
    private static void inDirectoryOf(String path, SftpWrite write) throws IOException, InterruptedException {
        try {
            write.run();
        } catch (SftpException e) {
            if (e.getStatus() != SftpConstants.SSH_FX_NO_SUCH_FILE) {
                throw e;
            }
            String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
            int slash = trimmed.lastIndexOf('/');
            String directory = slash > 0 ? trimmed.substring(0, slash) : slash == 0 ? "/" : "the login directory";
            SftpException missing = new SftpException(e.getStatus(), "no directory " + directory + " there");
            missing.initCause(e);
            throw missing;
        }
    }

    @FunctionalInterface
    private interface SftpWrite {
        void run() throws IOException, InterruptedException;
    }

    /** Where a single file goes, and what is there now (null: nothing). */
    private record Target(String path, Attributes existing) { }

    /** Writes a file's bytes to an open remote stream. */
    @FunctionalInterface
    private interface Content {
        void writeTo(OutputStream out) throws IOException, InterruptedException;
    }

    /** The mode a file is to end with (null: no say), and whether the recipe asked for it or it is a default. */
    private record Wanted(Integer mode, boolean explicit) { }

    /**
     * Writes {@code target} with {@code content} through a part file renamed over it (see the class comment), or in
     * place where that cannot work, also when the rename is refused ({@code content} is then written a second time).
     * A {@code wanted} mode of null keeps the mode of the file replaced.
     */
    private static void replace(SftpClient sftp, Target target, Wanted wanted, Content content)
            throws IOException, InterruptedException {
        OpenSSHPosixRenameExtension rename = sftp.getExtension(OpenSSHPosixRenameExtension.class);
        Attributes existing = target.existing();
        if (existing != null && !existing.isRegularFile() && !existing.isSymbolicLink()) {
            // a device (/dev/null) or a FIFO must stay what it is, its mode included unless the recipe asked for one
            try {
                writeInPlaceOfOthers(sftp, target.path(), wanted, content);
            } catch (SftpException e) {
                throw new IOException("not a regular file (a FIFO or a device), which SFTP writes at offsets: "
                        + e.getMessage(), e);
            }
            return;
        }
        if (!rename.isSupported() || existing != null && existing.isSymbolicLink()) {
            writeInPlace(sftp, target.path(), wanted, content); // a link is written through
            return;
        }
        String part = partName(target.path());
        OutputStream out;
        try {
            out = sftp.write(part, REQUEST_SIZE, OpenMode.Write, OpenMode.Create, OpenMode.Exclusive);
        } catch (SftpException e) {
            if (e.getStatus() != SftpConstants.SSH_FX_PERMISSION_DENIED) {
                throw e;
            }
            writeInPlace(sftp, target.path(), wanted, content); // a directory the user may not create files in
            return;
        }
        Integer mode = wanted.mode() != null ? wanted.mode() : keptMode(existing);
        try {
            // Before any byte: the permission bits the file ends with (a secret's 0600, not the umask's 0644, while it
            // is being written) and the owner of the file it replaces. A handle open for writing stays writable whatever
            // the mode. Only root may give a file away: for someone else's file that is refused, and it is written in
            // place. Set-id and sticky bits come after the content, whose writing (like the chown) clears them.
            Attributes before = attributesBefore(existing, mode);
            if (before != null && !setStat(sftp, part, before)) {
                out.close();
                sftp.remove(part);
                writeInPlaceOfOthers(sftp, target.path(), wanted, content);
                return;
            }
            try (out) {
                content.writeTo(out);
            }
            if (mode != null && (mode & SPECIAL_BITS) != 0) {
                sftp.setStat(part, new Attributes().perms(mode));
            }
            rename.posixRename(part, target.path());
        } catch (IOException e) {
            try {
                sftp.remove(part);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            if (e instanceof SftpException refused && refused.getStatus() == SftpConstants.SSH_FX_PERMISSION_DENIED
                    && existing != null) {
                // another user's file in a sticky directory (/tmp): it may be writable where it may not be replaced
                writeInPlaceOfOthers(sftp, target.path(), wanted, content);
                return;
            }
            throw e;
        }
    }

    private static Integer keptMode(Attributes existing) {
        return existing != null && existing.getFlags().contains(SftpClient.Attribute.Perms)
                ? existing.getPermissions() & PERMISSION_BITS
                : null;
    }

    /** What a part file gets before it is written: permission bits and the replaced file's owner; null: nothing. */
    private static Attributes attributesBefore(Attributes existing, Integer mode) {
        boolean owned = existing != null && existing.getFlags().contains(SftpClient.Attribute.UidGid);
        if (mode == null && !owned) {
            return null;
        }
        Attributes attributes = new Attributes();
        if (mode != null) {
            attributes.perms(mode & ~SPECIAL_BITS);
        }
        if (owned) {
            attributes.owner(existing.getUserId(), existing.getGroupId());
        }
        return attributes;
    }

    /** Sets {@code attributes} on {@code path}; false when the server refuses them (a chown only root may make). */
    private static boolean setStat(SftpClient sftp, String path, Attributes attributes) throws IOException {
        try {
            sftp.setStat(path, attributes);
            return true;
        } catch (SftpException e) {
            if (e.getStatus() == SftpConstants.SSH_FX_PERMISSION_DENIED
                    || e.getStatus() == SftpConstants.SSH_FX_FAILURE) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Writes someone else's file in place (it may be writable, not replaceable), or a device or FIFO. Its mode stays
     * as it is: a mode the recipe asked for is set first, and if that is refused nothing is written; a default one
     * (an upload's local mode) is left alone.
     */
    private static void writeInPlaceOfOthers(SftpClient sftp, String path, Wanted wanted, Content content)
            throws IOException, InterruptedException {
        if (wanted.explicit()) {
            sftp.setStat(path, new Attributes().perms(wanted.mode()));
        }
        overwrite(sftp, path, content);
    }

    private static void writeInPlace(SftpClient sftp, String path, Wanted wanted, Content content)
            throws IOException, InterruptedException {
        overwrite(sftp, path, content);
        if (wanted.mode() != null && !setStat(sftp, path, new Attributes().perms(wanted.mode())) && wanted.explicit()) {
            throw new SftpException(SftpConstants.SSH_FX_PERMISSION_DENIED, "cannot set mode "
                    + Integer.toOctalString(wanted.mode()) + " on " + path);
        }
    }

    /** Writes {@code path} in place: created, or emptied and written. */
    private static void overwrite(SftpClient sftp, String path, Content content) throws IOException, InterruptedException {
        try (OutputStream out = sftp.write(path, REQUEST_SIZE, OpenMode.Write, OpenMode.Create, OpenMode.Truncate)) {
            content.writeTo(out);
        }
    }

    /** The part file's path beside {@code target}. */
    static String partName(String target) {
        int slash = target.lastIndexOf('/');
        return target.substring(0, slash + 1) + PartFiles.nameFor(target.substring(slash + 1));
    }

    static void download(Server server, HostConnections host, String remote, Path local, TransferListener listener)
            throws InterruptedException {
        String what = "download of " + server.label() + ":" + remote + " to " + local;
        withSftp(server, host, what, sftp -> {
            Attributes top = sftp.stat(remote);
            Path target = !top.isDirectory() && Files.isDirectory(local) ? local.resolve(fileName(remote)) : local;
            List<Item> plan = new ArrayList<>();
            planDownload(sftp, remote, top, target, plan);
            Progress progress = new Progress(server, listener, plan);
            for (Item item : plan) {
                if (item.directory()) {
                    Files.createDirectories(item.local());
                } else {
                    downloadFile(sftp, item, progress);
                }
            }
            setDirectoryModes(plan, item -> setLocalMode(item.local(), item.mode()));
        });
    }

    /** Work done with one SFTP client. */
    @FunctionalInterface
    private interface SftpWork {
        void run(SftpClient sftp) throws IOException, InterruptedException;
    }

    /** How long work whose channel was closed after an interrupt may take to notice. */
    private static final long ABORT_WAIT_MILLIS = 5000;

    /**
     * Runs {@code work} on a leased SFTP channel, turning failures into one-line TRANSFER errors. The work runs on a
     * thread of its own while the caller waits, so that an interrupt (Ctrl-C) ends it even when it is stuck writing
     * to a server that stopped answering: the caller then closes the channel under it.
     */
    private static void withSftp(Server server, HostConnections host, String what, SftpWork work)
            throws InterruptedException {
        try (ChannelLease<SftpClient> lease = host.lease(server, SFTP)) {
            FutureTask<Void> transfer = new FutureTask<>(() -> {
                work.run(lease.channel());
                return null;
            });
            Thread worker = Thread.ofVirtual().name("capstan-sftp-" + server.label()).start(transfer);
            try {
                transfer.get();
            } catch (InterruptedException e) {
                lease.abort();
                worker.interrupt();
                worker.join(ABORT_WAIT_MILLIS);
                InterruptedException interrupted = new InterruptedException("interrupted: " + what);
                interrupted.initCause(e);
                throw interrupted;
            } catch (ExecutionException e) {
                switch (e.getCause()) {
                    case InterruptedIOException cause -> {
                        InterruptedException interrupted = new InterruptedException("interrupted: " + what);
                        interrupted.initCause(cause);
                        throw interrupted;
                    }
                    case InterruptedException cause -> throw cause;
                    case IOException cause -> throw failure(server, lease.connection(), what, cause);
                    case RuntimeException cause -> throw cause;
                    case Error cause -> throw cause;
                    default -> throw new IllegalStateException(e.getCause());
                }
            }
        }
    }

    /** One file or directory to transfer. {@code mode} is null when unknown or not to be set. */
    private record Item(Path local, String remote, boolean directory, long size, Integer mode) { }

    /**
     * Where a file named {@code name} goes: inside {@code remote} when that is an existing directory (or a link to
     * one), else {@code remote} itself.
     */
    private static Target target(SftpClient sftp, String remote, Path name) throws IOException {
        Attributes there = lstat(sftp, remote);
        boolean directory = there != null && (there.isDirectory() || there.isSymbolicLink() && isRemoteDirectory(sftp, remote));
        if (!directory || name == null) {
            return new Target(remote, there);
        }
        String inside = join(remote, name.toString());
        return new Target(inside, lstat(sftp, inside));
    }

    /** The attributes of {@code path} itself, not of what a link points to; null when there is nothing. */
    private static Attributes lstat(SftpClient sftp, String path) throws IOException {
        return orNothing(() -> sftp.lstat(path));
    }

    /** A stat call's attributes, or null when there is no such file. */
    private static Attributes orNothing(StatCall call) throws IOException {
        try {
            return call.attributes();
        } catch (SftpException e) {
            if (e.getStatus() == SftpConstants.SSH_FX_NO_SUCH_FILE) {
                return null;
            }
            throw e;
        }
    }

    @FunctionalInterface
    private interface StatCall {
        Attributes attributes() throws IOException;
    }

    private static List<Item> planUpload(Path local, String remote, Integer mode) throws IOException {
        List<Item> plan = new ArrayList<>();
        if (!Files.isDirectory(local)) {
            plan.add(new Item(local, remote, false, Files.size(local), mode != null ? mode : localMode(local)));
            return plan;
        }
        try (Stream<Path> tree = Files.walk(local)) {
            for (Path path : (Iterable<Path>) tree::iterator) {
                String relative = local.relativize(path).toString().replace(path.getFileSystem().getSeparator(), "/");
                String to = relative.isEmpty() ? remote : join(remote, relative);
                if (Files.isDirectory(path)) {
                    plan.add(new Item(path, to, true, 0, localMode(path)));
                } else if (Files.isRegularFile(path)) {
                    plan.add(new Item(path, to, false, Files.size(path), mode != null ? mode : localMode(path)));
                }
            }
        }
        return plan;
    }

    private static void planDownload(SftpClient sftp, String remote, Attributes attributes, Path local,
            List<Item> plan) throws IOException {
        Integer mode = attributes.getFlags().contains(SftpClient.Attribute.Perms)
                ? attributes.getPermissions() & PERMISSION_BITS
                : null;
        if (!attributes.isDirectory()) {
            plan.add(new Item(local, remote, false, attributes.getSize(), mode));
            return;
        }
        plan.add(new Item(local, remote, true, 0, mode));
        for (DirEntry entry : sftp.readDir(remote)) {
            String name = entry.getFilename();
            if (name.equals(".") || name.equals("..") || name.contains("/")) {
                continue; // a name with a slash could only be a hostile server's attempt to write elsewhere
            }
            String child = join(remote, name);
            Attributes attrs = entry.getAttributes().isSymbolicLink() ? sftp.stat(child) : entry.getAttributes();
            if (attrs.isDirectory() || attrs.isRegularFile()) {
                planDownload(sftp, child, attrs, local.resolve(name), plan);
            }
        }
    }

    private static void uploadFile(SftpClient sftp, Item item, Progress progress)
            throws IOException, InterruptedException {
        overwrite(sftp, item.remote(), out -> {
            try (InputStream in = Files.newInputStream(item.local())) {
                copy(in, out, item, progress);
            }
        });
        if (item.mode() != null) {
            sftp.setStat(item.remote(), new Attributes().perms(item.mode()));
        }
    }

    private static void downloadFile(SftpClient sftp, Item item, Progress progress)
            throws IOException, InterruptedException {
        try (InputStream in = sftp.read(item.remote(), REQUEST_SIZE);
                OutputStream out = Files.newOutputStream(item.local())) {
            copy(in, out, item, progress);
        }
        setLocalMode(item.local(), item.mode());
    }

    private static void copy(InputStream in, OutputStream out, Item item, Progress progress)
            throws IOException, InterruptedException {
        byte[] buffer = new byte[COPY_BUFFER];
        for (int n; (n = in.read(buffer)) >= 0; ) {
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted during SFTP transfer of " + item.remote());
            }
            out.write(buffer, 0, n);
            progress.moved(item.remote(), n);
        }
        progress.fileDone(item.remote());
    }

    /** Directory modes last and deepest first: a read-only directory must not block writing its contents. */
    private static void setDirectoryModes(List<Item> plan, ModeSetter setter) throws IOException {
        for (Item item : plan.reversed()) {
            if (item.directory() && item.mode() != null) {
                setter.set(item);
            }
        }
    }

    @FunctionalInterface
    private interface ModeSetter {
        void set(Item item) throws IOException;
    }

    private static void mkdirIfMissing(SftpClient sftp, String path) throws IOException {
        if (!isRemoteDirectory(sftp, path)) {
            sftp.mkdir(path);
        }
    }

    private static boolean isRemoteDirectory(SftpClient sftp, String path) throws IOException {
        Attributes attributes = orNothing(() -> sftp.stat(path));
        return attributes != null && attributes.isDirectory();
    }

    private static Integer localMode(Path path) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
        return view == null ? null : SftpHelper.attributesToPermissions(false, false, false,
                view.readAttributes().permissions()) & PERMISSION_BITS;
    }

    private static void setLocalMode(Path path, Integer mode) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
        if (view != null && mode != null) {
            Set<PosixFilePermission> permissions = SftpHelper.permissionsToAttributes(mode);
            view.setPermissions(permissions);
        }
    }

    private static String join(String dir, String name) {
        return dir.endsWith("/") ? dir + name : dir + "/" + name;
    }

    private static String fileName(String remote) {
        String trimmed = remote.endsWith("/") ? remote.substring(0, remote.length() - 1) : remote;
        return trimmed.substring(trimmed.lastIndexOf('/') + 1);
    }

    private static TransportException failure(Server server, Connection connection, String what, IOException e) {
        if (!connection.isOpen()) {
            return new TransportException(server, Reason.CONNECTION_LOST,
                    "connection to " + server.label() + " lost during " + what, e);
        }
        return new TransportException(server, Reason.TRANSFER, what + " failed: " + describe(e), e);
    }

    private static String describe(IOException e) {
        if (e instanceof SftpException sftp) {
            return switch (sftp.getStatus()) {
                case SftpConstants.SSH_FX_NO_SUCH_FILE -> "no such file or directory (" + e.getMessage() + ")";
                case SftpConstants.SSH_FX_PERMISSION_DENIED -> "permission denied (" + e.getMessage() + ")";
                default -> e.getMessage();
            };
        }
        if (e instanceof NoSuchFileException) {
            return "no such local file or directory: " + e.getMessage();
        }
        if (e instanceof AccessDeniedException) {
            return "local permission denied: " + e.getMessage();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Bytes moved so far out of the whole transfer, reported to the listener in steps. */
    private static final class Progress {
        private final Server server;
        private final TransferListener listener;
        private final long total;
        private long done;
        private long reported;

        Progress(Server server, TransferListener listener, List<Item> plan) {
            this.server = server;
            this.listener = listener;
            this.total = plan.stream().mapToLong(Item::size).sum();
        }

        void moved(String path, long bytes) {
            done += bytes;
            if (done - reported >= PROGRESS_STEP) {
                report(path);
            }
        }

        void fileDone(String path) {
            report(path);
        }

        private void report(String path) {
            reported = done;
            listener.progress(server, path, done, Math.max(total, done));
        }
    }
}
