package dev.capstan.transport.ssh;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import javax.security.auth.login.FailedLoginException;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.session.SessionContext;
import org.apache.sshd.common.util.io.resource.PathResource;
import org.apache.sshd.common.util.security.SecurityUtils;

/**
 * The private keys offered to a server: the target's {@code IdentityFile}s from ssh config, then {@code ssh_identity}
 * (not with {@code IdentitiesOnly}); when neither names a file, the default {@code id_ed25519}, {@code id_ecdsa} and
 * {@code id_rsa} of the user's SSH directory. Keys are read before connecting, so that a passphrase prompt never races a network
 * timeout or blocks MINA's I/O threads, and each file is read once per run.
 *
 * <p>An encrypted key asks the {@link PassphrasePrompt} (three attempts); while ssh-agent offers keys, only once a
 * login without it has failed ({@link #askDeferred}), as OpenSSH asks only when the agent's keys did not do.
 *
 * <p>{@link #prepare()} reads the default files early, on another thread, without a passphrase: the first login then
 * finds them parsed. Whatever that read meets (a missing file, an encrypted key, an error) is only acted on, and
 * reported, when a login first wants the file, exactly as if it were read then.
 */
final class Identities {

    private static final int PASSPHRASE_ATTEMPTS = 3;

    private final List<Path> configured;
    private final List<Path> defaults;
    private final PassphrasePrompt prompt;
    private final AgentConnector agent;
    private final EventLog log;
    private final Map<Path, List<KeyPair>> loaded = new HashMap<>();
    /** Why a key file gave no key, for the files the user named (ssh_identity) or that needed a passphrase. */
    private final Map<Path, String> skipped = new HashMap<>();
    /** Reads started by {@link #prepare()}, each run once: by the preparing thread, or by the first login. */
    private final Map<Path, FutureTask<Attempt>> prepared = new ConcurrentHashMap<>();
    /** Encrypted files not asked for yet because ssh-agent offers keys. */
    private final Set<Path> deferred = new LinkedHashSet<>();
    private Boolean agentHasKeys;

    Identities(SshSettings settings, PassphrasePrompt prompt, AgentConnector agent, EventLog log) {
        this.configured = settings.identityFiles();
        this.defaults = settings.identityFilesOrDefaults();
        this.prompt = prompt;
        this.agent = agent;
        this.log = log;
    }

    /**
     * Reads the default key files without asking for passphrases and without reporting anything, for the first login
     * to use. Meant for a background thread; a login that comes first reads the files itself.
     */
    void prepare() {
        List<FutureTask<Attempt>> tasks = new ArrayList<>();
        for (Path file : defaults) {
            FutureTask<Attempt> task = new FutureTask<>(() -> attempt(file));
            if (prepared.putIfAbsent(file, task) == null) {
                tasks.add(task);
            }
        }
        tasks.forEach(FutureTask::run);
    }

    /** The key pairs to offer {@code target}, in order; reads (and may prompt for) files not read yet. */
    synchronized List<KeyPair> keysFor(SshTarget target) {
        List<KeyPair> keys = new ArrayList<>();
        for (Path file : filesFor(target)) {
            keys.addAll(loaded.computeIfAbsent(file, this::load));
        }
        return keys;
    }

    /** What a login to {@code target} offers, for "authentication failed" messages. */
    synchronized List<String> describe(SshTarget target) {
        List<String> offered = new ArrayList<>();
        if (agent.configured()) {
            offered.add(agent.describe());
        }
        for (Path file : filesFor(target)) {
            if (!loaded.getOrDefault(file, List.of()).isEmpty()) {
                offered.add(SshSettings.displayPath(file));
            } else if (skipped.containsKey(file)) {
                offered.add(SshSettings.displayPath(file) + " skipped: " + skipped.get(file));
            }
        }
        return offered;
    }

    /**
     * After a login to {@code target} with {@code offered} keys failed: asks for the passphrases of its encrypted keys
     * that were left for ssh-agent, as OpenSSH does once the agent's keys did not do.
     *
     * @return whether {@link #keysFor} now gives more keys than were offered, so that another login may succeed
     */
    synchronized boolean askDeferred(SshTarget target, int offered) {
        for (Path file : filesFor(target)) {
            if (deferred.remove(file)) {
                skipped.remove(file);
                loaded.put(file, readPrompting(file, SshSettings.displayPath(file)));
            }
        }
        return keysFor(target).size() > offered;
    }

    /**
     * The target's {@code IdentityFile}s, then {@code ssh_identity} (like {@code ssh -i}); the default {@code id_*}
     * files only when neither names a file, as OpenSSH adds them only when no identity file is configured.
     */
    private Set<Path> filesFor(SshTarget target) {
        Set<Path> files = new LinkedHashSet<>(target.identityFiles());
        if (!target.identitiesOnly() && (!configured.isEmpty() || files.isEmpty())) {
            files.addAll(defaults);
        }
        return files;
    }

    private List<KeyPair> load(Path file) {
        String name = SshSettings.displayPath(file);
        Attempt attempt = preparedAttempt(file);
        if (attempt.missing()) {
            if (configured.contains(file)) {
                log.warn("identity file " + name + " (ssh_identity) does not exist");
                skipped.put(file, "does not exist");
            }
            return List.of();
        }
        if (attempt.encrypted()) {
            return loadEncrypted(file, name);
        }
        if (attempt.failure() != null) {
            log.warn("cannot read identity file " + name + ": " + attempt.failure().getMessage());
            skipped.put(file, "unreadable (" + attempt.failure().getMessage() + ")");
            return List.of();
        }
        return attempt.keys();
    }

    /** What {@link #prepare()} read, waiting for a read in progress; or a fresh read. */
    private Attempt preparedAttempt(Path file) {
        FutureTask<Attempt> task = prepared.remove(file);
        if (task == null) {
            return attempt(file);
        }
        task.run(); // no-op when the preparing thread has started it
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return task.get();
                } catch (InterruptedException e) {
                    interrupted = true; // a file read is short: finish it, keep the interrupt for the connect
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof Error error) {
                        throw error;
                    }
                    return Attempt.failed(e.getCause() instanceof Exception cause ? cause : e);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Reads {@code file} without a passphrase; never throws, never reports. */
    private static Attempt attempt(Path file) {
        if (!Files.isRegularFile(file)) {
            return Attempt.MISSING;
        }
        try {
            return new Attempt(read(file, FilePasswordProvider.EMPTY), false, false, null);
        } catch (FailedLoginException encrypted) {
            return Attempt.ENCRYPTED;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return Attempt.failed(e);
        }
    }

    /** What reading a key file without a passphrase gave: keys, or why not. */
    private record Attempt(List<KeyPair> keys, boolean missing, boolean encrypted, Exception failure) {
        static final Attempt MISSING = new Attempt(List.of(), true, false, null);
        static final Attempt ENCRYPTED = new Attempt(List.of(), false, true, null);

        static Attempt failed(Exception e) {
            return new Attempt(List.of(), false, false, e);
        }
    }

    private List<KeyPair> loadEncrypted(Path file, String name) {
        if (agentHasKeys()) {
            log.debug("not asking for the passphrase of " + name + " yet: ssh-agent offers keys");
            deferred.add(file);
            skipped.put(file, "encrypted, not asked for while ssh-agent offered keys");
            return List.of();
        }
        return readPrompting(file, name);
    }

    private List<KeyPair> readPrompting(Path file, String name) {
        try {
            return read(file, new Prompting(name));
        } catch (FailedLoginException e) {
            log.info("skipping identity " + name + ": no passphrase given");
            skipped.put(file, "encrypted, and no passphrase was given (none can be asked without a terminal)");
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            log.warn("skipping identity " + name + ": wrong passphrase or unreadable key (" + e.getMessage() + ")");
            skipped.put(file, "wrong passphrase or unreadable key");
        }
        return List.of();
    }

    private boolean agentHasKeys() {
        if (agentHasKeys == null) {
            agentHasKeys = !agent.keys().isEmpty();
        }
        return agentHasKeys;
    }

    private static List<KeyPair> read(Path file, FilePasswordProvider passwords)
            throws IOException, GeneralSecurityException {
        byte[] content = Files.readAllBytes(file);
        try (InputStream in = new ByteArrayInputStream(content)) {
            CryptoSetup.bouncyCastleForKeyFile(content);
            Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, new PathResource(file), in, passwords);
            List<KeyPair> keys = new ArrayList<>();
            if (pairs != null) {
                pairs.forEach(keys::add);
            }
            return keys;
        } finally {
            Arrays.fill(content, (byte) 0); // the key file may be unencrypted
        }
    }

    /** Asks the person at the terminal, wiping each answer once MINA has it. */
    private final class Prompting implements FilePasswordProvider {
        private final String name;

        Prompting(String name) {
            this.name = name;
        }

        @Override
        public String getPassword(SessionContext session, NamedResource resource, int retryIndex) {
            char[] passphrase = prompt.passphrase(retryIndex == 0
                    ? "Enter passphrase for key '" + name + "': "
                    : "Wrong passphrase; enter passphrase for key '" + name + "' again: ");
            if (passphrase == null) {
                return null;
            }
            try {
                return new String(passphrase);
            } finally {
                Arrays.fill(passphrase, '\0');
            }
        }

        @Override
        public ResourceDecodeResult handleDecodeAttemptResult(SessionContext session, NamedResource resource,
                int retryIndex, String password, Exception error) {
            return error != null && retryIndex + 1 < PASSPHRASE_ATTEMPTS
                    ? ResourceDecodeResult.RETRY
                    : ResourceDecodeResult.TERMINATE;
        }
    }
}
