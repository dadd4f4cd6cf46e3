package dev.capstan.transport.ssh;

import java.security.Provider;
import java.security.Security;
import java.util.Optional;
import org.apache.sshd.common.util.security.SecurityProviderRegistrar;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.common.util.security.SunJCESecurityProviderRegistrar;
import org.apache.sshd.common.util.security.bouncycastle.BouncyCastleSecurityProviderRegistrar;
import org.apache.sshd.common.util.security.eddsa.generic.EdDSASupport;

/**
 * Which JCA providers MINA uses, decided once per JVM before MINA's first use of them. Left alone, MINA registers Bouncy
 * Castle and makes it the provider of everything: about 100 ms and 1,000 classes in a cold JVM, and slower, uncompiled
 * code in every handshake. The JDK (21 and newer) has all an SSH client needs, X25519 and Ed25519 included, so MINA gets
 * the JDK's providers plus {@link JdkEd25519}, and {@link Curve25519Provider} for the arithmetic of X25519 and of
 * Ed25519 signatures; the algorithms offered and the host key checks do not change.
 *
 * <p>Bouncy Castle stays on the class path: MINA's sntrup761 and ML-KEM key exchanges and {@link Curve25519Provider}
 * use its classes directly, no provider needed, and it is registered after all when a key file needs it
 * ({@link #bouncyCastleForKeyFile}).
 * When something else in the JVM (an embedded test server, say) has set MINA up already, that choice stands.
 */
final class CryptoSetup {

    private static final String ENCRYPTED_PKCS8 = "-----BEGIN ENCRYPTED PRIVATE KEY-----";

    private static final Object LOCK = new Object();
    private static volatile boolean decided;

    private CryptoSetup() {
    }

    /**
     * Makes MINA use the JDK's providers, unless it is set up already or told otherwise; idempotent, cheap once done,
     * and safe from many threads: each returns once the decision is in place.
     */
    static void preferJdk() {
        if (decided) {
            return;
        }
        synchronized (LOCK) {
            if (!decided) {
                try {
                    decide();
                } finally {
                    decided = true;
                }
            }
        }
    }

    /** Caller holds the lock. */
    private static void decide() {
        if (SecurityUtils.isRegistrationCompleted()
                || System.getProperty(SecurityUtils.SECURITY_PROVIDER_REGISTRARS) != null) {
            return; // already decided, or configured with -Dorg.apache.sshd.security.registrars
        }
        JdkRegistrar jdk = new JdkRegistrar();
        if (!jdk.isSupported()) {
            return; // a JDK without Ed25519: MINA's defaults
        }
        // Ed25519 support first, so that no one can see MINA without it; then MINA's own registration, which reads
        // this property once, with only its SunJCE wrapper left in the list (that one creates no provider).
        SecurityUtils.registerSecurityProvider(jdk);
        SecurityUtils.registerSecurityProvider(new Curve25519Registrar());
        System.setProperty(SecurityUtils.SECURITY_PROVIDER_REGISTRARS,
                SunJCESecurityProviderRegistrar.class.getName());
        try {
            SecurityUtils.isBouncyCastleRegistered(); // completes MINA's registration
        } finally {
            System.clearProperty(SecurityUtils.SECURITY_PROVIDER_REGISTRARS);
        }
    }

    /**
     * Registers Bouncy Castle if {@code keyFile} is a PKCS#8 file encrypted with a passphrase: MINA decrypts those only
     * with it. Registered for that alone ({@link DecryptionOnly}): every algorithm keeps its JDK provider.
     */
    static void bouncyCastleForKeyFile(byte[] keyFile) {
        if (!needsBouncyCastle(keyFile)) {
            return;
        }
        synchronized (LOCK) {
            if (!SecurityUtils.isBouncyCastleRegistered()) {
                SecurityUtils.registerSecurityProvider(new DecryptionOnly());
            }
        }
    }

    /**
     * Bouncy Castle for the one thing MINA needs it for once the JDK's providers serve everything else: decrypting
     * encrypted PKCS#8 key files. It claims no algorithm, so that MINA's lookups still find the JDK's providers.
     */
    static final class DecryptionOnly extends BouncyCastleSecurityProviderRegistrar {
        @Override
        public boolean isSecurityEntitySupported(Class<?> entityType, String name) {
            return false;
        }

        @Override
        public Optional<EdDSASupport<?, ?>> getEdDSASupport() {
            return Optional.empty();
        }
    }

    /** Whether MINA needs Bouncy Castle to read this key file: an encrypted PKCS#8 one. */
    static boolean needsBouncyCastle(byte[] keyFile) {
        return contains(keyFile, ENCRYPTED_PKCS8);
    }

    private static boolean contains(byte[] data, String ascii) {
        outer:
        for (int i = 0; i + ascii.length() <= data.length; i++) {
            for (int j = 0; j < ascii.length(); j++) {
                if (data[i + j] != ascii.charAt(j)) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /**
     * Hands MINA {@link Curve25519Provider} for the X25519 key exchange and for Ed25519 signatures, by instance: the
     * provider is not registered with the JDK, so nothing else in the JVM sees it.
     */
    static final class Curve25519Registrar implements SecurityProviderRegistrar {
        private final Curve25519Provider provider = new Curve25519Provider();

        @Override
        public String getName() {
            return Curve25519Provider.NAME;
        }

        @Override
        public String getProviderName() {
            return Curve25519Provider.NAME;
        }

        @Override
        public boolean isNamedProviderUsed() {
            return false;
        }

        @Override
        public Provider getSecurityProvider() {
            return provider;
        }

        @Override
        public boolean isSupported() {
            return true;
        }

        @Override
        public boolean isSecurityEntitySupported(Class<?> entityType, String name) {
            return provider.serves(entityType.getSimpleName(), name);
        }

        @Override
        public Optional<EdDSASupport<?, ?>> getEdDSASupport() {
            return Optional.empty();
        }
    }

    /**
     * Contributes {@link JdkEd25519} to MINA and nothing else: no provider of its own (SunEC is the JDK's), and no
     * claim to any algorithm, so that every other lookup goes to the JDK's providers in their usual order.
     */
    static final class JdkRegistrar implements SecurityProviderRegistrar {
        static final String NAME = "JdkEd25519";
        private static final String PROVIDER = "SunEC";

        @Override
        public String getName() {
            return NAME;
        }

        @Override
        public String getProviderName() {
            return PROVIDER;
        }

        @Override
        public Provider getSecurityProvider() {
            return Security.getProvider(PROVIDER);
        }

        @Override
        public boolean isSupported() {
            Provider provider = getSecurityProvider();
            return provider != null && provider.getService("Signature", JdkEd25519.ALGORITHM) != null
                    && provider.getService("KeyFactory", JdkEd25519.ALGORITHM) != null;
        }

        @Override
        public boolean isSecurityEntitySupported(Class<?> entityType, String name) {
            return false;
        }

        @Override
        public Optional<EdDSASupport<?, ?>> getEdDSASupport() {
            return Optional.of(JdkEd25519.INSTANCE);
        }
    }
}
