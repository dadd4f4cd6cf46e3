package dev.capstan.transport.ssh;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PublicKey;
import java.util.Base64;
import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.client.config.hosts.KnownHostHashValue;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.util.net.SshdSocketAddress;

/**
 * Records host keys trusted on first use ({@code host_key_checking=accept-new}) in a known_hosts file, the way
 * OpenSSH writes them ({@code [host]:port ssh-ed25519 AAAA...}). Many connections may accept keys at once: one lock
 * in this JVM plus a file lock against other processes serialise the appends, a key already in the file is not
 * written again, and each line is forced to disk before the connection goes on.
 */
final class KnownHostsAppender {

    /** One lock for every appender in the JVM: FileLock alone throws when this JVM already holds it. */
    private static final Object LOCK = new Object();

    private final Path file;

    KnownHostsAppender(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /**
     * @return {@code true} when the line was added, {@code false} when the file already had the key for the host
     */
    boolean append(SshdSocketAddress target, PublicKey key) throws IOException {
        String host = KnownHostHashValue.createHostPattern(target.getHostName(), target.getPort());
        String keyText = PublicKeyEntry.toString(key);
        synchronized (LOCK) {
            createParentDirectory();
            try (FileChannel channel = FileChannel.open(file,
                    StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                channel.lock(); // released when the channel closes
                String existing = read(channel);
                if (contains(existing, target, keyText)) {
                    return false;
                }
                String separator = existing.isEmpty() || existing.endsWith("\n") ? "" : "\n";
                ByteBuffer line = ByteBuffer.wrap((separator + host + " " + keyText + "\n")
                        .getBytes(StandardCharsets.UTF_8));
                long position = channel.size();
                while (line.hasRemaining()) {
                    position += channel.write(line, position);
                }
                channel.force(true);
                return true;
            }
        }
    }

    /** Like OpenSSH: ~/.ssh is private to its owner. */
    private void createParentDirectory() throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null || Files.isDirectory(dir)) {
            return;
        }
        try {
            Files.createDirectories(dir,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            Files.createDirectories(dir);
        } catch (FileAlreadyExistsException e) {
            // Created meanwhile by someone else: fine.
        }
    }

    private static String read(FileChannel channel) throws IOException {
        ByteBuffer content = ByteBuffer.allocate(Math.toIntExact(channel.size()));
        while (content.hasRemaining() && channel.read(content, content.position()) >= 0) {
            // read until full
        }
        return new String(content.array(), 0, content.position(), StandardCharsets.UTF_8);
    }

    /** Whether any entry (plain or hashed) already pairs this host with this key. */
    private static boolean contains(String content, SshdSocketAddress target, String keyText) {
        for (String line : content.split("\n")) {
            String trimmed = line.trim();
            if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith("@")) {
                continue;
            }
            KnownHostEntry entry;
            try {
                entry = KnownHostEntry.parseKnownHostEntry(trimmed);
            } catch (RuntimeException e) {
                continue; // a malformed line is not ours to judge
            }
            AuthorizedKeyEntry key = entry == null ? null : entry.getKeyEntry();
            if (key != null && entry.isHostMatch(target.getHostName(), target.getPort())
                    && keyText.equals(key.getKeyType() + " " + Base64.getEncoder().encodeToString(key.getKeyData()))) {
                return true;
            }
        }
        return false;
    }
}
