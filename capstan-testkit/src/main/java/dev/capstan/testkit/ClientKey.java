package dev.capstan.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Objects;

import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;

/**
 * An ed25519 client key pair whose private half is written to disk as an unencrypted OpenSSH private key file,
 * so that anything that reads {@code ~/.ssh/id_ed25519}-style files (capstan's {@code ssh_identity}, OpenSSH's
 * {@code ssh -i}) can log in to an {@link SshTestHost} with it.
 */
public final class ClientKey {

    /** Comment written into the key file and the authorized_keys line. */
    static final String COMMENT = "capstan-testkit";

    private final KeyPair keyPair;
    private final Path privateKeyFile;

    private ClientKey(KeyPair keyPair, Path privateKeyFile) {
        this.keyPair = keyPair;
        this.privateKeyFile = privateKeyFile;
    }

    /**
     * The key every host authorizes unless told otherwise: generated once per JVM on first use, its file lives in a
     * temporary directory that is deleted when the JVM exits.
     *
     * @return the shared key
     * @throws UncheckedIOException if the key cannot be generated or written
     */
    public static ClientKey shared() {
        return Shared.KEY;
    }

    /**
     * Generates a new key pair and writes its private key file into {@code dir} (created if missing).
     *
     * @param dir directory for the private key file {@code id_ed25519}
     * @return the new key
     * @throws IOException if the key cannot be generated or written
     */
    public static ClientKey generate(Path dir) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Files.createDirectories(dir);
        KeyPair pair = Ed25519.generate();
        Path file = dir.resolve("id_ed25519");
        Files.deleteIfExists(file);
        // Create with mode 600 before any key byte is written: OpenSSH refuses group/world-readable keys.
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.TRUNCATE_EXISTING)) {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(pair, COMMENT, null, out);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot encode the private key", e);
        }
        return new ClientKey(pair, file);
    }

    /**
     * @return the unencrypted OpenSSH private key file ({@code -----BEGIN OPENSSH PRIVATE KEY-----}), mode 600
     */
    public Path privateKeyFile() {
        return privateKeyFile;
    }

    /** @return the public key a host compares against */
    public PublicKey publicKey() {
        return keyPair.getPublic();
    }

    /**
     * The key pair itself, for tests that drive an SSH client directly instead of reading {@link #privateKeyFile()}.
     *
     * @return the key pair
     */
    public KeyPair keyPair() {
        return keyPair;
    }

    /** @return {@code "ssh-ed25519 AAAA... capstan-testkit"} */
    public String authorizedKeysLine() {
        return Ed25519.openSsh(publicKey()) + " " + COMMENT;
    }

    @Override
    public String toString() {
        return "ClientKey[" + privateKeyFile + "]";
    }

    /** Lazy holder: the shared key is only generated when first asked for. */
    private static final class Shared {
        static final ClientKey KEY = create();

        private static ClientKey create() {
            try {
                Path dir = Files.createTempDirectory("capstan-testkit-key-");
                ClientKey key = generate(dir);
                // deleteOnExit runs in reverse registration order: the file goes first, then its directory.
                dir.toFile().deleteOnExit();
                key.privateKeyFile().toFile().deleteOnExit();
                return key;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the shared capstan-testkit client key", e);
            }
        }
    }
}
