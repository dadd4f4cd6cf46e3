package dev.capstan.transport.kept;

import dev.capstan.transport.ssh.SshSettings;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Set;
import org.bouncycastle.crypto.digests.SHA256Digest;

/**
 * Where the keeper for one set of SSH settings listens: a Unix socket named by a digest of the settings and of this
 * build of capstan, in a directory only the user can enter (whoever can reach the socket can run commands on the
 * servers, as with OpenSSH's ControlPath). The lock file is held by the keeper while it lives, its log gets what the
 * keeper could not tell a run.
 *
 * @param digest SHA-256 of this build and the settings; a call carries it, so that a keeper serves only runs that
 *               would have connected exactly as it does
 */
record KeeperAddress(Path directory, byte[] digest, byte[] settings) {

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    /**
     * The address for {@code settings} as they stand now: the digest also covers the ssh config's text (its
     * {@code Include}s inlined) and the size and time of every file they name (identities, known_hosts), so that a run
     * after an edit gets a keeper that has read the edit.
     */
    static KeeperAddress of(Path directory, SshSettings settings) {
        byte[] encoded = KeeperWire.settings(settings);
        // Bouncy Castle's SHA-256 itself: the JDK's, through the JCA, would first set up its providers, which nothing
        // else in a kept run needs (no difference measured on a 2-host exec, 15 interleaved pairs)
        SHA256Digest sha = new SHA256Digest();
        byte[] config = settings.configText().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (byte[] part : new byte[][] {build(), encoded, config, fileStamps(settings)}) {
            sha.update(part, 0, part.length);
        }
        byte[] digest = new byte[sha.getDigestSize()];
        sha.doFinal(digest, 0);
        return new KeeperAddress(directory, digest, encoded);
    }

    /** What a keeper reads on its standard input: the digest its starter computed, then the settings. */
    byte[] keeperInput() {
        byte[] input = new byte[digest.length + settings.length];
        System.arraycopy(digest, 0, input, 0, digest.length);
        System.arraycopy(settings, 0, input, digest.length, settings.length);
        return input;
    }

    /** The address a keeper was started for, from {@link #keeperInput()}. */
    static KeeperAddress fromKeeperInput(Path directory, byte[] input) {
        return new KeeperAddress(directory, java.util.Arrays.copyOf(input, 32),
                java.util.Arrays.copyOfRange(input, 32, input.length));
    }

    private static byte[] fileStamps(SshSettings s) {
        java.util.List<Path> files = new java.util.ArrayList<>();
        files.addAll(s.identityFiles());
        for (String name : new String[] {"id_ed25519", "id_ecdsa", "id_rsa"}) {
            files.add(s.userSshDir().resolve(name));
        }
        files.addAll(s.allKnownHostsFiles());
        StringBuilder stamps = new StringBuilder();
        for (Path file : files) {
            stamps.append(file.toAbsolutePath()).append('\0');
            try {
                stamps.append(Files.getLastModifiedTime(file).toMillis()).append(' ').append(Files.size(file));
            } catch (IOException e) {
                stamps.append("none");
            }
            stamps.append('\n');
        }
        return stamps.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
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

    /** The socket's name: 64 bits of the digest, short enough for a Unix socket path under a long home. */
    private String name() {
        return HexFormat.of().formatHex(digest, 0, 8);
    }

    Path socket() {
        return directory.resolve(name() + ".sock");
    }

    Path lock() {
        return directory.resolve(name() + ".lock");
    }

    Path log() {
        return directory.resolve(name() + ".log");
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
            return (source + "\0" + HexFormat.of().formatHex(b.array())).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return new byte[0];
        }
    }
}
