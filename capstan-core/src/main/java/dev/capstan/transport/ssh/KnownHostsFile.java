package dev.capstan.transport.ssh;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Collection;
import java.util.List;
import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.keyverifier.RejectAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.util.net.SshdSocketAddress;

/**
 * What one known_hosts file says about a host's key. MINA does the parsing and matching (hashed entries,
 * {@code [host]:port} forms, {@code @revoked} and {@code @cert-authority} markers) and reloads the file when it
 * changes; this class only turns MINA's yes/no into a {@link Verdict} and never writes the file.
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

    KnownHostsFile(Path file) {
        // Unknown hosts go to acceptUnknownHostKey below, so the delegate is never asked; it rejects regardless.
        super(RejectAllServerKeyVerifier.INSTANCE, file);
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
