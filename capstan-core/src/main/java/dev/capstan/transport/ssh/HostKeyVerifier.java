package dev.capstan.transport.ssh;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.AsynchronousSocketChannel;
import java.security.PublicKey;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.sshd.client.config.hosts.KnownHostHashValue;
import org.apache.sshd.client.keyverifier.ServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.util.net.SshdSocketAddress;

/**
 * Decides whether to trust a server's host key: known in the user's known_hosts or an {@code ssh_known_hosts} file
 * means yes; a changed or revoked key means no, always; an unknown key depends on {@code host_key_checking}. A refusal
 * is recorded for the session, so that the connector can explain it ({@link #problem(ClientSession)}) instead of
 * MINA's "Server key did not validate".
 */
final class HostKeyVerifier implements ServerKeyVerifier {

    /**
     * The host and port the user asked for, set in the connection context: behind a jump host the socket only
     * knows the local end of the tunnel.
     */
    static final AttributeKey<SshdSocketAddress> TARGET = new AttributeKey<>();

    private final HostKeyChecking checking;
    private final List<KnownHostsFile> files;
    private final KnownHostsAppender appender;
    private final EventLog log;
    private final AtomicBoolean warnedOff = new AtomicBoolean();

    HostKeyVerifier(SshSettings settings, EventLog log) {
        this.checking = settings.hostKeyChecking();
        this.files = settings.allKnownHostsFiles().stream().map(KnownHostsFile::new).toList();
        this.appender = new KnownHostsAppender(settings.knownHostsToUpdate());
        this.log = log;
    }

    /** Parses the known_hosts files ahead of the first check (see {@link KnownHostsFile#preload()}). */
    void preload() {
        if (checking != HostKeyChecking.OFF) {
            files.forEach(KnownHostsFile::preload);
        }
    }

    /**
     * The host key algorithms to ask {@code session}'s server for: {@code algorithms} (comma-separated, in MINA's
     * order) with those of the key types the known_hosts files hold for the target first, as OpenSSH orders them
     * (certificate algorithms too when an {@code @cert-authority} entry names the host). Otherwise a host known by its
     * ed25519 key would be asked for its ecdsa key, MINA's first choice, which no file knows.
     */
    String preferKnownKeyTypes(ClientSession session, String algorithms) {
        SshdSocketAddress target = session.getConnectionContext() == null ? null
                : session.getConnectionContext().getAttribute(TARGET);
        if (checking == HostKeyChecking.OFF || target == null || algorithms == null) {
            return algorithms;
        }
        Set<String> types = new HashSet<>();
        boolean authority = false;
        for (KnownHostsFile file : files) {
            KnownHostsFile.KnownTypes known = file.knownTypes(session, target);
            types.addAll(known.keyTypes());
            authority |= known.certificateAuthority();
        }
        if (types.isEmpty() && !authority) {
            return algorithms;
        }
        StringJoiner first = new StringJoiner(",");
        StringJoiner last = new StringJoiner(",");
        for (String algorithm : algorithms.split(",")) {
            boolean certificate = KeyUtils.isCertificateAlgorithm(algorithm);
            boolean known = (certificate && authority) || types.contains(keyTypeOf(algorithm));
            (known ? first : last).add(algorithm);
        }
        return last.length() == 0 ? first.toString() : first.length() == 0 ? last.toString() : first + "," + last;
    }

    /** The key type an algorithm signs with: {@code ssh-rsa} for {@code rsa-sha2-512} and its certificate too. */
    static String keyTypeOf(String algorithm) {
        String type = KeyUtils.getCanonicalKeyType(algorithm);
        String certificate = "-cert-v01@openssh.com";
        return type.endsWith(certificate) ? type.substring(0, type.length() - certificate.length()) : type;
    }

    /** The connection context that tells this verifier which host a new session is meant to reach. */
    static AttributeRepository contextFor(SshTarget target) {
        return AttributeRepository.ofKeyValuePair(TARGET, new SshdSocketAddress(target.host(), target.port()));
    }

    /** As {@link #contextFor(SshTarget)}, for a session that is to take a socket connected early ({@link EarlyConnects}). */
    static AttributeRepository contextFor(SshTarget target, CompletableFuture<AsynchronousSocketChannel> socket) {
        return AttributeRepository.ofAttributesMap(Map.of(TARGET, new SshdSocketAddress(target.host(), target.port()),
                EarlyConnects.SOCKET, socket));
    }

    /**
     * Why a verifier refused the session's host key, if one did. Kept beside the session rather than in its
     * attributes, which MINA clears when it closes the refused session, possibly before this is asked.
     */
    static Optional<String> problem(ClientSession session) {
        return Optional.ofNullable(PROBLEMS.get(session));
    }

    private static final java.util.Map<ClientSession, String> PROBLEMS =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    @Override
    public boolean verifyServerKey(ClientSession session, SocketAddress remoteAddress, PublicKey key) {
        SshdSocketAddress target = targetOf(session, remoteAddress);
        try {
            return verify(session, target, key);
        } catch (RuntimeException e) {
            return refuse(session, "cannot check the host key of " + display(target) + ": " + e.getMessage());
        }
    }

    private boolean verify(ClientSession session, SshdSocketAddress target, PublicKey key) {
        if (checking == HostKeyChecking.OFF) {
            if (warnedOff.compareAndSet(false, true)) {
                log.warn("host key checking is off: no host key is verified, so a connection can be intercepted"
                        + " without notice (host_key_checking=off)");
            }
            return true;
        }
        KnownHostsFile.Verdict verdict = lookUp(session, target, key);
        if (verdict.outcome() == KnownHostsFile.Outcome.UNKNOWN && key instanceof OpenSshCertificate certificate) {
            // No file trusts its authority: the certified key is checked as a plain host key, as OpenSSH does, and
            // that is what accept-new records (a certificate line is no known_hosts entry to OpenSSH).
            key = certificate.getCertPubKey();
            verdict = lookUp(session, target, key);
        }
        switch (verdict.outcome()) {
            case KNOWN -> {
                return true;
            }
            case REVOKED -> {
                return refuse(session, "host key of " + display(target) + " (" + fingerprint(key)
                        + ") is marked @revoked in " + SshSettings.displayPath(verdict.file())
                        + ": refusing to connect");
            }
            case CHANGED -> {
                return refuse(session, changedMessage(target, verdict, key));
            }
            case UNKNOWN -> { }
        }
        if (checking == HostKeyChecking.ACCEPT_NEW) {
            return trustOnFirstUse(session, target, key);
        }
        return refuse(session, "host key of " + display(target) + " is not known (" + fingerprint(key)
                + "); verify it, then add it: ssh-keyscan " + (target.getPort() == SshTarget.DEFAULT_PORT ? ""
                : "-p " + target.getPort() + " ") + target.getHostName() + " >> "
                + SshSettings.displayPath(appender.file()) + "  (or set host_key_checking=accept-new)");
    }

    /**
     * What the files say together, as OpenSSH reads them as one: revoked in any of them decides (an administrator's
     * revocation in the machine's file beats the user's own line); else known in any; else changed in any; else unknown.
     */
    private KnownHostsFile.Verdict lookUp(ClientSession session, SshdSocketAddress target, PublicKey key) {
        KnownHostsFile.Verdict known = null;
        KnownHostsFile.Verdict changed = null;
        for (KnownHostsFile file : files) {
            KnownHostsFile.Verdict verdict = file.check(session, target, key);
            switch (verdict.outcome()) {
                case REVOKED -> {
                    return verdict;
                }
                case KNOWN -> known = known != null ? known : verdict;
                case CHANGED -> changed = changed != null ? changed : verdict;
                case UNKNOWN -> { }
            }
        }
        if (known != null) {
            return known;
        }
        return changed != null ? changed : new KnownHostsFile.Verdict(KnownHostsFile.Outcome.UNKNOWN, null, null);
    }

    private boolean trustOnFirstUse(ClientSession session, SshdSocketAddress target, PublicKey key) {
        try {
            if (appender.append(target, key)) {
                log.info("added the host key of " + display(target) + " (" + fingerprint(key) + ") to "
                        + SshSettings.displayPath(appender.file()) + " (host_key_checking=accept-new)");
            }
            return true;
        } catch (IOException e) {
            return refuse(session, "cannot record the host key of " + display(target) + " in "
                    + SshSettings.displayPath(appender.file()) + ": " + e.getMessage());
        }
    }

    private static String changedMessage(SshdSocketAddress target, KnownHostsFile.Verdict changed, PublicKey key) {
        String pattern = KnownHostHashValue.createHostPattern(target.getHostName(), target.getPort());
        String file = SshSettings.displayPath(changed.file());
        return "host key of " + display(target) + " has CHANGED (known: " + fingerprint(changed.knownKey()) + " in "
                + file + "; offered: " + fingerprint(key) + "); refusing to connect, this may be an attack. If the"
                + " host was re-keyed, remove the old key: ssh-keygen -R '" + pattern + "' -f " + file;
    }

    private static boolean refuse(ClientSession session, String problem) {
        PROBLEMS.put(session, problem);
        return false;
    }

    private static SshdSocketAddress targetOf(ClientSession session, SocketAddress remoteAddress) {
        AttributeRepository context = session.getConnectionContext();
        SshdSocketAddress target = context == null ? null : context.getAttribute(TARGET);
        return target != null ? target : SshdSocketAddress.toSshdSocketAddress(remoteAddress);
    }

    private static String display(SshdSocketAddress target) {
        return target.getPort() == SshTarget.DEFAULT_PORT
                ? target.getHostName()
                : target.getHostName() + ":" + target.getPort();
    }

    private static String fingerprint(PublicKey key) {
        return KeyUtils.getKeyType(key) + " " + KeyUtils.getFingerPrint(key);
    }
}
