package dev.capstan.transport.ssh;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.keyverifier.RejectAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.util.net.SshdSocketAddress;

/**
 * What one known_hosts file says about a host's key. MINA does the parsing and matching (hashed entries,
 * {@code [host]:port} forms, {@code @revoked} and {@code @cert-authority} markers) and reloads the file when it
 * changes; this class only turns MINA's yes/no into a {@link Verdict} and never writes the file.
 *
 * <p>{@link #preload()} parses the file ahead of the first check, on another thread: MINA would otherwise parse it,
 * every line and key of it, in the middle of the first key exchange. The first check takes that parse only if the
 * file has not changed since.
 */
final class KnownHostsFile extends KnownHostsServerKeyVerifier {

    /** What the file knows. */
    enum Outcome { KNOWN, UNKNOWN, CHANGED, REVOKED }

    /**
     * @param outcome  what the file says
     * @param file     the file
     * @param knownKey for {@link Outcome#CHANGED}: the key the file has for the host; else {@code null}
     */
    record Verdict(Outcome outcome, Path file, PublicKey knownKey) { }

    /** Carries MINA's callbacks out of one {@code verifyServerKey} call (always on the calling thread). */
    private static final AttributeKey<Verdict> VERDICT = new AttributeKey<>();

    /** A parse of the file ahead of the first check, and the file's state it was made from. */
    private record Parsed(List<HostEntryPair> entries, Object state) { }

    private final AtomicReference<FutureTask<Parsed>> early = new AtomicReference<>();

    KnownHostsFile(Path file) {
        // Unknown hosts go to acceptUnknownHostKey below, so the delegate is never asked; it rejects regardless.
        super(RejectAllServerKeyVerifier.INSTANCE, file);
    }

    /** Parses the file now, for the first check to use; quiet about a missing or unreadable file (the check is not). */
    void preload() {
        FutureTask<Parsed> task = new FutureTask<>(this::parse);
        if (early.compareAndSet(null, task)) {
            task.run();
        }
    }

    /** What MINA's own reload does, without touching its record of the file's state. */
    private Parsed parse() throws IOException {
        Path file = getPath();
        Object before = state(file);
        List<HostEntryPair> pairs = new ArrayList<>();
        PublicKeyEntryResolver fallback = getFallbackPublicKeyEntryResolver();
        for (KnownHostEntry entry : KnownHostEntry.readKnownHostEntries(file)) {
            try {
                PublicKey key = resolveHostKey(null, entry, fallback);
                if (key != null) {
                    pairs.add(new HostEntryPair(entry, key));
                }
            } catch (Exception e) {
                // MINA skips an entry it cannot decode, too
            }
        }
        return new Parsed(pairs, before);
    }

    /** Size, modification time and identity: when they match, the content read earlier is still the content. */
    private static Object state(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return List.of(a.size(), a.lastModifiedTime(), String.valueOf(a.fileKey()));
    }

    /** MINA's first load of the file: the early parse if the file is as it was then. */
    @Override
    protected List<HostEntryPair> reloadKnownHosts(ClientSession session, Path file)
            throws IOException, GeneralSecurityException {
        FutureTask<Parsed> task = early.getAndSet(null);
        if (task != null && file.equals(getPath())) {
            task.run(); // not started yet: parse here
            try {
                Parsed parsed = task.get();
                if (parsed.state().equals(state(file))) {
                    updateReloadAttributes();
                    return parsed.entries();
                }
            } catch (ExecutionException e) {
                // fall through to MINA's own reload, which reports what is wrong as it always does
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return super.reloadKnownHosts(session, file);
    }

    /** Looks {@code target} up: the host and port the user asked for, not the socket's address. */
    Verdict check(ClientSession session, SshdSocketAddress target, PublicKey key) {
        session.removeAttribute(VERDICT);
        InetSocketAddress address = InetSocketAddress.createUnresolved(target.getHostName(), target.getPort());
        if (verifyServerKey(session, address, key)) {
            return new Verdict(Outcome.KNOWN, getPath(), null);
        }
        Verdict verdict = session.removeAttribute(VERDICT);
        return verdict != null ? verdict : new Verdict(Outcome.UNKNOWN, getPath(), null);
    }

    /**
     * Only the logical target: MINA would add the socket's peer address, which behind a jump host is the local end
     * of the tunnel.
     */
    @Override
    protected Collection<SshdSocketAddress> resolveHostNetworkIdentities(ClientSession session, SocketAddress remote) {
        return List.of(SshdSocketAddress.toSshdSocketAddress(remote));
    }

    /** Never trusts on its own: {@link HostKeyVerifier} decides after asking every file. */
    @Override
    protected boolean acceptUnknownHostKey(ClientSession session, SocketAddress remote, PublicKey key) {
        return false;
    }

    @Override
    public boolean acceptModifiedServerKey(ClientSession session, SocketAddress remote, KnownHostEntry entry,
            PublicKey expected, PublicKey actual) {
        session.setAttribute(VERDICT, new Verdict(Outcome.CHANGED, getPath(), expected));
        return false;
    }

    @Override
    protected void handleRevokedKey(ClientSession session, SocketAddress remote, PublicKey key) {
        session.setAttribute(VERDICT, new Verdict(Outcome.REVOKED, getPath(), null));
    }
}
