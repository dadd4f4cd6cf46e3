package dev.capstan.transport.kept;

import dev.capstan.transport.ssh.SshSettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Set;

/**
 * Where the keeper for one set of SSH settings listens: a Unix socket named by a hash of the settings and of this build
 * of capstan, in a directory only the user can enter (whoever can reach the socket can run commands on the servers, as
 * with OpenSSH's ControlPath). The lock file is held by the keeper while it lives, its log gets what the keeper could
 * not tell a run.
 *
 * <p>A run's identity is this build, its network namespace, the settings, the ssh config's text and the stamps of the
 * identity files, as bytes: every call carries it and the keeper compares it whole, so that a keeper serves only runs
 * that would have connected exactly as it does (the socket's name, a 64-bit hash of it, only finds the keeper).
 */
final class KeeperAddress {

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    /**
     * The address for {@code settings} as they stand now: the identity also covers the ssh config's text (its
     * {@code Include}s inlined) and the size and time of the identity files, which a transport reads once, so that a run
     * after an edit gets a keeper that has read the edit.
     */
    private final Path directory;
    private final byte[] identity;
    private final byte[] settings;
    private final String name;

    private KeeperAddress(Path directory, byte[] identity, byte[] settings) {
        this.directory = directory;
        this.identity = identity;
        this.settings = settings;
        this.name = name(identity);
    }

    static KeeperAddress of(Path directory, SshSettings settings) {
        byte[] encoded = KeeperWire.settings(settings);
        byte[] config = settings.configText().getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream identity = new ByteArrayOutputStream();
        for (byte[] part : new byte[][] {build(), networkNamespace(), encoded, config, fileStamps(settings)}) {
            identity.writeBytes(ByteBuffer.allocate(4).putInt(part.length).array());
            identity.writeBytes(part);
        }
        return new KeeperAddress(directory, identity.toByteArray(), encoded);
    }

    /** What a keeper reads on its standard input: the identity its starter computed, then the settings. */
    byte[] keeperInput() {
        return ByteBuffer.allocate(4 + identity.length + settings.length)
                .putInt(identity.length).put(identity).put(settings).array();
    }

    /** The address a keeper was started for, from {@link #keeperInput()}. */
    static KeeperAddress fromKeeperInput(Path directory, byte[] input) {
        ByteBuffer in = ByteBuffer.wrap(input);
        byte[] identity = new byte[in.getInt()];
        in.get(identity);
        byte[] settings = new byte[in.remaining()];
        in.get(settings);
        return new KeeperAddress(directory, identity, settings);
    }

    /**
     * Size and time of the key files a transport reads once. Not the known_hosts files: the keeper's transport reads
     * them again when they change, as a run's does, and the key accept-new records in one would otherwise start a
     * second keeper.
     */
    private static byte[] fileStamps(SshSettings s) {
        StringBuilder stamps = new StringBuilder();
        for (Path file : s.identityFilesOrDefaults()) {
            stamps.append(file.toAbsolutePath()).append('\0');
            try {
                stamps.append(Files.getLastModifiedTime(file).toMillis()).append(' ').append(Files.size(file));
            } catch (IOException e) {
                stamps.append("none");
            }
            stamps.append('\n');
        }
        return stamps.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The network namespace the run is in ({@code net:[4026531840]}), on Linux: 127.0.0.1:2222 in one is another host
     * than in the next, and a keeper started in one reaches its hosts, so a run in another namespace gets its own.
     */
    private static byte[] networkNamespace() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString().getBytes(StandardCharsets.UTF_8);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return new byte[0]; // not Linux: one namespace
        }
    }

    /**
     * {@code $XDG_RUNTIME_DIR/capstan} (a per-user directory that the system empties at logout), else
     * {@code ~/.capstan/kept}.
     */
    static Path defaultDirectory() {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isBlank() && Files.isDirectory(Path.of(runtime))) {
            return Path.of(runtime, "capstan");
        }
        return Path.of(System.getProperty("user.home"), ".capstan", "kept");
    }

    /**
     * The socket's name: a 64-bit FNV-1a hash of the identity, short enough for a Unix socket path under a long home.
     * Not a cryptographic digest, which would cost a run the set-up of a provider (~4 ms): two identities with the same
     * name only mean that the keeper refuses the other run, which then connects by itself.
     */
    private static String name(byte[] identity) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : identity) {
            hash = (hash ^ (b & 0xff)) * 0x100000001b3L;
        }
        return HexFormat.of().withLowerCase().toHexDigits(hash);
    }

    Path directory() {
        return directory;
    }

    byte[] identity() {
        return identity;
    }

    /** The settings alone, as the keeper reads them. */
    byte[] settings() {
        return settings;
    }

    Path socket() {
        return directory.resolve(name + ".sock");
    }

    Path lock() {
        return directory.resolve(name + ".lock");
    }

    Path log() {
        return directory.resolve(name + ".log");
    }

    /** A socket to the keeper listening here, for a call or to learn that one listens. */
    SocketChannel connect() throws IOException {
        return SocketChannel.open(UnixDomainSocketAddress.of(socket()));
    }

    /**
     * Creates the directory for the user alone, or checks that it is theirs alone.
     *
     * @throws IOException naming the directory and what is wrong with it
     */
    void prepareDirectory() throws IOException {
        if (!Files.isDirectory(directory)) {
            Files.createDirectories(directory.getParent());
            try {
                Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // another run made it at the same moment: checked below
            }
        }
        checkPrivate(directory);
    }

    /**
     * Checks that {@code directory} is the user's alone.
     *
     * @throws IOException naming the directory and what is wrong with it
     */
    static void checkPrivate(Path directory) throws IOException {
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(directory);
        String owner = Files.getOwner(directory).getName();
        if (!permissions.equals(OWNER_ONLY) || !owner.equals(System.getProperty("user.name"))) {
            throw new IOException(directory + " must belong to " + System.getProperty("user.name")
                    + " and be closed to everyone else (chmod 700), as it holds the sockets of kept connections; it is "
                    + PosixFilePermissions.toString(permissions) + ", owned by " + owner);
        }
    }

    /** This build of capstan: where its classes come from, their size and time. A rebuilt capstan starts a new keeper. */
    private static byte[] build() {
        try {
            Path source = Path.of(KeeperAddress.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            ByteBuffer b = ByteBuffer.allocate(16);
            b.putLong(Files.getLastModifiedTime(source).toMillis()).putLong(Files.size(source));
            return (source + "\0" + HexFormat.of().formatHex(b.array())).getBytes(StandardCharsets.UTF_8);
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return new byte[0];
        }
    }
}
