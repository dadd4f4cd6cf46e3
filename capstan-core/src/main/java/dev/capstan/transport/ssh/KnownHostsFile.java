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
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.keyverifier.RejectAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.util.net.SshdSocketAddress;

/**
 * What one known_hosts file says about a host's key. MINA does the parsing and matching (hashed entries,
 * {@code [host]:port} forms, {@code @revoked} and {@code @cert-authority} markers) and reloads the file when it
 * changes; this class turns MINA's yes/no into a {@link Verdict}, matches wildcard patterns as OpenSSH does where MINA
 * does not ({@link #findKnownHostEntries}), and never writes the file.
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

    /** What the file knows of one host, for ordering the host key algorithms asked for ({@link #knownTypes}). */
    record KnownTypes(Set<String> keyTypes, boolean certificateAuthority) {
        static final KnownTypes NONE = new KnownTypes(Set.of(), false);
    }

    /** A parse of the file ahead of the first check, and the file's state it was made from. */
    private record Parsed(List<HostEntryPair> entries, Object state) { }

    private final AtomicReference<FutureTask<Parsed>> early = new AtomicReference<>();
    /** The entries MINA checks keys against: what {@link #reloadKnownHosts} last returned. */
    private volatile List<HostEntryPair> current = List.of();
    /** The entries of one loaded list whose patterns hold a wildcard: most files have none. */
    private volatile WildcardEntries wildcards = new WildcardEntries(List.of(), List.of());
    /** One session's lookup of the host, made to order the host key algorithms and reused by the check. */
    private final AttributeKey<Lookup> lookup = new AttributeKey<>();

    private record WildcardEntries(Collection<HostEntryPair> of, List<HostEntryPair> entries) { }

    private record Lookup(Collection<HostEntryPair> of, SocketAddress remote, List<HostEntryPair> found) { }

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

    /**
     * MINA's first load of the file: the early parse if the file is as it was then. Either way with the lines MINA
     * cannot read because a pattern's port is a wildcard ({@code [10.0.0.1]:*}), which OpenSSH reads.
     */
    @Override
    protected List<HostEntryPair> reloadKnownHosts(ClientSession session, Path file)
            throws IOException, GeneralSecurityException {
        List<HostEntryPair> entries = load(session, file);
        current = entries;
        return entries;
    }

    private List<HostEntryPair> load(ClientSession session, Path file) throws IOException, GeneralSecurityException {
        FutureTask<Parsed> task = early.getAndSet(null);
        if (task != null && file.equals(getPath())) {
            task.run(); // not started yet: parse here
            try {
                Parsed parsed = task.get();
                if (parsed.state().equals(state(file))) {
                    updateReloadAttributes();
                    return withWildcardPorts(file, parsed.entries());
                }
            } catch (ExecutionException e) {
                // fall through to MINA's own reload, which reports what is wrong as it always does
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return withWildcardPorts(file, super.reloadKnownHosts(session, file));
    }

    /**
     * {@code entries} plus the lines with wildcards that MINA skipped (plain, {@code @revoked}, {@code @cert-authority}):
     * it reads a pattern's port as a number. They get no MINA patterns (MINA never matches them); {@link #findKnownHostEntries} does.
     */
    private List<HostEntryPair> withWildcardPorts(Path file, List<HostEntryPair> entries) throws IOException {
        Set<String> read = new HashSet<>();
        entries.forEach(pair -> read.add(pair.getHostEntry().getConfigLine().strip()));
        List<HostEntryPair> all = new ArrayList<>(entries);
        for (String raw : Files.readAllLines(file)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || read.contains(line)) {
                continue;
            }
            Line parsed = Line.of(line);
            if (!parsed.hasWildcard()) {
                continue;
            }
            try {
                AuthorizedKeyEntry keyEntry = AuthorizedKeyEntry.parseAuthorizedKeyEntry(parsed.key());
                PublicKey publicKey = keyEntry.resolvePublicKey(null, getFallbackPublicKeyEntryResolver());
                KnownHostEntry entry = new KnownHostEntry(line);
                entry.setMarker(parsed.marker());
                entry.setKeyEntry(keyEntry);
                entry.setPatterns(List.of());
                all.add(new HostEntryPair(entry, publicKey));
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                // a line OpenSSH would not read either
            }
        }
        return all;
    }

    /**
     * The key types this file has plain entries for ({@code ssh-ed25519}, {@code ssh-rsa}, ...; revoked ones aside)
     * and whether an {@code @cert-authority} entry names {@code target}, as OpenSSH looks them up to order the host key
     * algorithms it asks for. Loads the file as a check would, and hands MINA what it loaded.
     */
    KnownTypes knownTypes(ClientSession session, SshdSocketAddress target) {
        List<HostEntryPair> entries;
        try {
            if (!exists()) {
                return KnownTypes.NONE;
            }
            synchronized (this) {
                if (checkReloadRequired()) {
                    setLoadedHostsEntries(reloadKnownHosts(session, getPath()));
                }
                entries = current;
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return KnownTypes.NONE; // the check that follows reports what is wrong with the file
        }
        InetSocketAddress address = InetSocketAddress.createUnresolved(target.getHostName(), target.getPort());
        Set<String> types = new HashSet<>();
        boolean authority = false;
        for (HostEntryPair pair : findKnownHostEntries(session, address, entries)) {
            String marker = pair.getHostEntry().getMarker();
            if (marker == null) {
                types.add(KeyUtils.getKeyType(pair.getServerKey()));
            } else if (marker.equals("cert-authority")) {
                authority = true;
            }
        }
        return new KnownTypes(types, authority);
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

    /**
     * MINA's matches, plus the entries (plain, {@code @revoked}, {@code @cert-authority}) with wildcard patterns that
     * match the host as OpenSSH matches them: against the name known_hosts gives the host ({@code [host]:port} off port
     * 22). MINA tests a pattern's host and port apart, and one without a port only for port 22, so {@code @revoked * KEY}
     * did not revoke KEY on port 2222, nor did {@code [10.0.0.1]:* KEY} know it, nor {@code @cert-authority * CA} trust
     * a certified host there.
     */
    @Override
    protected List<HostEntryPair> findKnownHostEntries(ClientSession session, SocketAddress remote,
            Collection<HostEntryPair> entries) {
        // Every lookup goes through the whole file: with a thousand hosts in it and a thousand connections, looking
        // the host up once per session (not for the algorithm order and again for the check) is a second saved.
        Lookup earlier = session == null ? null : session.getAttribute(lookup);
        if (earlier != null && earlier.of() == entries && earlier.remote().equals(remote)) {
            return earlier.found();
        }
        List<HostEntryPair> found = new ArrayList<>(super.findKnownHostEntries(session, remote, entries));
        SshdSocketAddress target = SshdSocketAddress.toSshdSocketAddress(remote);
        String name = (target.getPort() == SshConstants.DEFAULT_PORT ? target.getHostName()
                : "[" + target.getHostName() + "]:" + target.getPort()).toLowerCase(Locale.ROOT);
        for (HostEntryPair pair : withWildcards(entries)) {
            if (!found.contains(pair) && matchesWithWildcards(pair.getHostEntry().getConfigLine(), name)) {
                found.add(pair);
            }
        }
        List<HostEntryPair> result = List.copyOf(found);
        if (session != null) {
            session.setAttribute(lookup, new Lookup(entries, remote, result));
        }
        return result;
    }

    /** The entries of {@code entries} with a wildcard pattern, worked out once per loaded list. */
    private List<HostEntryPair> withWildcards(Collection<HostEntryPair> entries) {
        WildcardEntries known = wildcards;
        if (known.of() != entries) {
            known = new WildcardEntries(entries, entries.stream()
                    .filter(pair -> Line.of(pair.getHostEntry().getConfigLine()).hasWildcard()).toList());
            wildcards = known;
        }
        return known.entries();
    }

    /**
     * Whether a known_hosts line whose host patterns hold a wildcard ({@code *}, {@code ?}) names {@code name}: one
     * pattern matches and no negated one ({@code !pattern}) does, as in OpenSSH. Lines without wildcards, and hashed
     * ones, are MINA's alone.
     */
    static boolean matchesWithWildcards(String line, String name) {
        Line parsed = Line.of(line);
        if (!parsed.hasWildcard()) {
            return false;
        }
        boolean matched = false;
        for (String pattern : parsed.hosts().split(",")) {
            boolean negated = pattern.startsWith("!");
            if (globMatches(negated ? pattern.substring(1) : pattern, name)) {
                if (negated) {
                    return false;
                }
                matched = true;
            }
        }
        return matched;
    }

    /**
     * One known_hosts line, split as OpenSSH reads it.
     *
     * @param marker "revoked" or "cert-authority" without its {@code @}, or null
     * @param hosts  the host patterns, comma-separated ({@code |1|...} when hashed)
     * @param key    the key type and data, and any comment
     */
    private record Line(String marker, String hosts, String key) {
        static Line of(String line) {
            String text = line.strip();
            String[] fields = text.split("\\s+", 3);
            if (text.startsWith("@")) {
                return new Line(fields[0].substring(1), fields.length > 1 ? fields[1] : "", fields.length > 2 ? fields[2] : "");
            }
            return new Line(null, fields[0], text.substring(fields[0].length()).strip());
        }

        /** Whether a pattern holds a wildcard; hashed patterns never do (they are MINA's). */
        boolean hasWildcard() {
            return !hosts.startsWith("|") && (hosts.indexOf('*') >= 0 || hosts.indexOf('?') >= 0);
        }
    }

    private static boolean globMatches(String pattern, String name) {
        StringBuilder regex = new StringBuilder();
        for (char c : pattern.toLowerCase(Locale.ROOT).toCharArray()) {
            switch (c) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.matches(regex.toString(), name);
    }

    /** Never trusts on its own: {@link HostKeyVerifier} decides after asking every file. */
    @Override
    protected boolean acceptUnknownHostKey(ClientSession session, SocketAddress remote, PublicKey key) {
        return false;
    }

    /**
     * A key the file does not have, for a host it has another key for: changed, whatever the types, as OpenSSH says
     * (a host known by its ed25519 key that offers only an ecdsa key is refused, not trusted on first use: a man in
     * the middle would offer just that). Asking for the known types first ({@link #knownTypes}) keeps honest hosts
     * with several keys from coming here.
     */
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
