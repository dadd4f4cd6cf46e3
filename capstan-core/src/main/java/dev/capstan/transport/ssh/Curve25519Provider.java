package dev.capstan.transport.ssh;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.KeyFactorySpi;
import java.security.KeyPair;
import java.security.KeyPairGeneratorSpi;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.XECPrivateKey;
import java.security.interfaces.XECPublicKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.KeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Supplier;
import javax.crypto.KeyAgreementSpi;
import javax.crypto.SecretKey;
import javax.crypto.ShortBufferException;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * The handshake's curve arithmetic on Bouncy Castle's low-level classes ({@code rfc7748.X25519},
 * {@code rfc8032.Ed25519}), as a JCA provider that only MINA is handed ({@link CryptoSetup}), never registered with the
 * JDK: the X25519 key pair, key factory and agreement of {@code curve25519-sha256}, and the Ed25519 signature that
 * checks the host's key-exchange signature and signs a login. In a cold JVM with the launcher's C1 compiler these take
 * about a third of the CPU of the JDK's own implementations (a handshake's share: ~0.8 against ~2.4 ms once compiled,
 * ~2.5 against ~10 ms the first time), and an 8-host fan-out runs 8 handshakes at once on 2 cores.
 *
 * <p>Ed25519 keys stay the JDK's ({@link JdkEd25519} reads and writes them); only signing and checking come here.
 * The X25519 keys are this class's own, since they never leave the key exchange.
 */
final class Curve25519Provider extends Provider {

    private static final long serialVersionUID = 1L;

    static final String NAME = "CapstanCurve25519";
    static final String X25519_ALGORITHM = "X25519";
    static final String ED25519_ALGORITHM = JdkEd25519.ALGORITHM;

    /** The start of an X25519 public key's X.509 encoding (RFC 8410); the 32 key bytes follow. */
    private static final byte[] X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00};

    Curve25519Provider() {
        super(NAME, "1", "X25519 and Ed25519 signatures on Bouncy Castle's low-level arithmetic, for MINA");
        putService(new Direct(this, "KeyPairGenerator", X25519_ALGORITHM, X25519KeyPairGenerator.class,
                X25519KeyPairGenerator::new));
        putService(new Direct(this, "KeyFactory", X25519_ALGORITHM, X25519KeyFactory.class, X25519KeyFactory::new));
        putService(new Direct(this, "KeyAgreement", X25519_ALGORITHM, X25519KeyAgreement.class,
                X25519KeyAgreement::new));
        putService(new Direct(this, "Signature", ED25519_ALGORITHM, Ed25519Signature.class, Ed25519Signature::new));
    }

    /** A service that makes its implementation directly, where the JCA would look its class up by name reflectively. */
    private static final class Direct extends Service {
        private final Supplier<Object> implementation;

        Direct(Provider provider, String type, String algorithm, Class<?> spi, Supplier<Object> implementation) {
            super(provider, type, algorithm, spi.getName(), null, null);
            this.implementation = implementation;
        }

        @Override
        public Object newInstance(Object constructorParameter) throws NoSuchAlgorithmException {
            if (constructorParameter != null) {
                throw new InvalidParameterException(getType() + " takes no constructor parameter");
            }
            return implementation.get();
        }
    }

    /**
     * Lays out the tables of fixed-base multiples that Bouncy Castle's X25519 and Ed25519 compute on first use, ~2 ms
     * with the start-up cache: called while the first connection waits for the server, they are not on its way.
     */
    static void precompute() {
        X25519.precompute();
    }

    /** Whether this provider serves {@code type} ({@code KeyAgreement}, ...) for {@code algorithm}. */
    boolean serves(String type, String algorithm) {
        return getService(type, algorithm) != null;
    }

    /** What both kinds of X25519 key are: 32 bytes, and what they say about themselves. */
    private abstract static class X25519Key implements Key {
        private static final long serialVersionUID = 1L;
        /** The u-coordinate (RFC 7748, little-endian) of a public key, the scalar of a private one. */
        final byte[] bytes;

        X25519Key(byte[] bytes) {
            this.bytes = bytes.clone();
        }

        /** XECKey's, for both. */
        public AlgorithmParameterSpec getParams() {
            return NamedParameterSpec.X25519;
        }

        @Override
        public String getAlgorithm() {
            return X25519_ALGORITHM;
        }
    }

    /** An X25519 public key: its 32 bytes (RFC 7748, u little-endian). */
    static final class X25519Public extends X25519Key implements XECPublicKey {
        private static final long serialVersionUID = 1L;

        X25519Public(byte[] u) {
            super(u);
        }

        @Override
        public BigInteger getU() {
            byte[] bigEndian = new byte[X25519.POINT_SIZE];
            for (int i = 0; i < bigEndian.length; i++) {
                bigEndian[i] = bytes[bytes.length - 1 - i];
            }
            bigEndian[0] &= 0x7f; // RFC 7748 5: the top bit is ignored
            return new BigInteger(1, bigEndian);
        }

        @Override
        public String getFormat() {
            return "X.509";
        }

        @Override
        public byte[] getEncoded() {
            byte[] encoded = Arrays.copyOf(X509_PREFIX, X509_PREFIX.length + X25519.POINT_SIZE);
            System.arraycopy(bytes, 0, encoded, X509_PREFIX.length, X25519.POINT_SIZE);
            return encoded;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof X25519Public that && Arrays.equals(bytes, that.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "X25519 public key";
        }
    }

    /** An X25519 private key: its 32-byte scalar, never encoded. */
    static final class X25519Private extends X25519Key implements XECPrivateKey {
        private static final long serialVersionUID = 1L;

        X25519Private(byte[] scalar) {
            super(scalar);
        }

        @Override
        public Optional<byte[]> getScalar() {
            return Optional.of(bytes.clone());
        }

        @Override
        public String getFormat() {
            return null; // an ephemeral key: it is never exported
        }

        @Override
        public byte[] getEncoded() {
            return null;
        }

        @Override
        public String toString() {
            return "X25519 private key";
        }
    }

    private static final class X25519KeyPairGenerator extends KeyPairGeneratorSpi {
        private SecureRandom random = new SecureRandom();

        @Override
        public void initialize(int keySize, SecureRandom random) {
            if (keySize != 255 && keySize != 256) {
                throw new InvalidParameterException("X25519 keys have 255 bits, not " + keySize);
            }
            this.random = random == null ? new SecureRandom() : random;
        }

        @Override
        public void initialize(AlgorithmParameterSpec params, SecureRandom random)
                throws InvalidAlgorithmParameterException {
            if (params instanceof NamedParameterSpec named && X25519_ALGORITHM.equalsIgnoreCase(named.getName())) {
                this.random = random == null ? new SecureRandom() : random;
                return;
            }
            throw new InvalidAlgorithmParameterException("only X25519 here, not " + params);
        }

        @Override
        public KeyPair generateKeyPair() {
            byte[] scalar = new byte[X25519.SCALAR_SIZE];
            X25519.generatePrivateKey(random, scalar);
            byte[] u = new byte[X25519.POINT_SIZE];
            X25519.generatePublicKey(scalar, 0, u, 0);
            KeyPair pair = new KeyPair(new X25519Public(u), new X25519Private(scalar));
            Arrays.fill(scalar, (byte) 0);
            return pair;
        }
    }

    /** Public keys from their X.509 encoding, which is how MINA hands over the server's key-exchange value. */
    private static final class X25519KeyFactory extends KeyFactorySpi {
        @Override
        protected PublicKey engineGeneratePublic(KeySpec spec) throws InvalidKeySpecException {
            if (spec instanceof X509EncodedKeySpec x509) {
                byte[] encoded = x509.getEncoded();
                if (encoded.length == X509_PREFIX.length + X25519.POINT_SIZE
                        && Arrays.equals(encoded, 0, X509_PREFIX.length, X509_PREFIX, 0, X509_PREFIX.length)) {
                    return new X25519Public(Arrays.copyOfRange(encoded, X509_PREFIX.length, encoded.length));
                }
                throw new InvalidKeySpecException("not the X.509 encoding of an X25519 public key");
            }
            throw new InvalidKeySpecException("only X.509-encoded X25519 public keys here, not " + spec);
        }

        @Override
        protected PrivateKey engineGeneratePrivate(KeySpec spec) throws InvalidKeySpecException {
            throw new InvalidKeySpecException("X25519 private keys are made by the key pair generator only");
        }

        @Override
        protected <T extends KeySpec> T engineGetKeySpec(Key key, Class<T> type) throws InvalidKeySpecException {
            if (key instanceof X25519Public pub && type.isAssignableFrom(X509EncodedKeySpec.class)) {
                return type.cast(new X509EncodedKeySpec(pub.getEncoded()));
            }
            throw new InvalidKeySpecException("no " + type.getSimpleName() + " for " + key);
        }

        @Override
        protected Key engineTranslateKey(Key key) throws InvalidKeyException {
            if (key instanceof X25519Public || key instanceof X25519Private) {
                return key;
            }
            throw new InvalidKeyException("not an X25519 key of this provider: " + key);
        }
    }

    /**
     * X25519 (RFC 7748 6.1). An all-zero result, which a peer's point of small order gives, is refused as RFC 7748
     * and RFC 8731 require.
     */
    private static final class X25519KeyAgreement extends KeyAgreementSpi {
        private byte[] scalar;
        private byte[] secret;

        @Override
        protected void engineInit(Key key, SecureRandom random) throws InvalidKeyException {
            if (!(key instanceof XECPrivateKey xec) || !(xec.getParams() instanceof NamedParameterSpec named)
                    || !X25519_ALGORITHM.equalsIgnoreCase(named.getName())) {
                throw new InvalidKeyException("not an X25519 private key: " + key);
            }
            byte[] bytes = xec.getScalar()
                    .orElseThrow(() -> new InvalidKeyException("the X25519 private key has no scalar"));
            if (bytes.length != X25519.SCALAR_SIZE) {
                throw new InvalidKeyException("an X25519 scalar has " + X25519.SCALAR_SIZE + " bytes, got "
                        + bytes.length);
            }
            clear();
            scalar = bytes;
        }

        @Override
        protected void engineInit(Key key, AlgorithmParameterSpec params, SecureRandom random)
                throws InvalidKeyException, InvalidAlgorithmParameterException {
            if (params != null) {
                throw new InvalidAlgorithmParameterException("X25519 takes no parameters");
            }
            engineInit(key, random);
        }

        @Override
        protected Key engineDoPhase(Key key, boolean lastPhase) throws InvalidKeyException {
            if (scalar == null) {
                throw new IllegalStateException("not initialized");
            }
            if (!lastPhase) {
                throw new IllegalStateException("X25519 has one phase");
            }
            byte[] u;
            if (key instanceof X25519Public pub) {
                u = pub.bytes;
            } else if (key instanceof XECPublicKey xec && xec.getParams() instanceof NamedParameterSpec named
                    && X25519_ALGORITHM.equalsIgnoreCase(named.getName())) {
                u = littleEndian(xec.getU()); // another provider's key
            } else {
                throw new InvalidKeyException("not an X25519 public key: " + key);
            }
            byte[] shared = new byte[X25519.POINT_SIZE];
            if (!X25519.calculateAgreement(scalar, 0, u, 0, shared, 0)) {
                throw new InvalidKeyException(
                        "the peer's X25519 key gives an all-zero secret (a point of small order)");
            }
            secret = shared;
            return null;
        }

        @Override
        protected byte[] engineGenerateSecret() {
            if (secret == null) {
                throw new IllegalStateException("no key agreed yet");
            }
            byte[] result = secret;
            secret = null;
            return result;
        }

        @Override
        protected int engineGenerateSecret(byte[] sharedSecret, int offset) throws ShortBufferException {
            if (secret != null && sharedSecret.length - offset < secret.length) {
                throw new ShortBufferException("the X25519 secret has " + X25519.POINT_SIZE + " bytes");
            }
            byte[] result = engineGenerateSecret();
            System.arraycopy(result, 0, sharedSecret, offset, result.length);
            Arrays.fill(result, (byte) 0);
            return X25519.POINT_SIZE;
        }

        @Override
        protected SecretKey engineGenerateSecret(String algorithm) {
            throw new UnsupportedOperationException("SSH derives its keys from the raw X25519 secret");
        }

        private void clear() {
            if (scalar != null) {
                Arrays.fill(scalar, (byte) 0);
            }
            scalar = null;
            secret = null;
        }

        private static byte[] littleEndian(BigInteger u) throws InvalidKeyException {
            byte[] bigEndian = u.toByteArray();
            int start = bigEndian.length > X25519.POINT_SIZE && bigEndian[0] == 0 ? 1 : 0;
            if (u.signum() < 0 || bigEndian.length - start > X25519.POINT_SIZE) {
                throw new InvalidKeyException("an X25519 u-coordinate has " + X25519.POINT_SIZE + " bytes");
            }
            byte[] result = new byte[X25519.POINT_SIZE];
            for (int i = start; i < bigEndian.length; i++) {
                result[bigEndian.length - 1 - i] = bigEndian[i];
            }
            return result;
        }
    }

    /** Ed25519 (RFC 8032, pure) over the JDK's key objects: the 32-byte public encoding and the private seed. */
    private static final class Ed25519Signature extends SignatureSpi {
        private final ByteArrayOutputStream message = new ByteArrayOutputStream(256);
        private byte[] publicKey;
        private byte[] seed;

        @Override
        protected void engineInitVerify(PublicKey key) throws InvalidKeyException {
            if (!(key instanceof EdECPublicKey ed) || !ED25519_ALGORITHM.equalsIgnoreCase(ed.getParams().getName())) {
                throw new InvalidKeyException("not an Ed25519 public key: " + key);
            }
            reset();
            publicKey = JdkEd25519.INSTANCE.getPublicKeyData(ed);
        }

        @Override
        protected void engineInitSign(PrivateKey key) throws InvalidKeyException {
            if (!(key instanceof EdECPrivateKey ed) || !ED25519_ALGORITHM.equalsIgnoreCase(ed.getParams().getName())) {
                throw new InvalidKeyException("not an Ed25519 private key: " + key);
            }
            reset();
            seed = JdkEd25519.INSTANCE.getPrivateKeyData(ed);
            publicKey = new byte[Ed25519.PUBLIC_KEY_SIZE];
            Ed25519.generatePublicKey(seed, 0, publicKey, 0);
        }

        @Override
        protected void engineUpdate(byte b) {
            message.write(b);
        }

        @Override
        protected void engineUpdate(byte[] b, int off, int len) {
            message.write(b, off, len);
        }

        @Override
        protected byte[] engineSign() throws SignatureException {
            if (seed == null) {
                throw new SignatureException("not initialized for signing");
            }
            byte[] m = message.toByteArray();
            message.reset();
            byte[] signature = new byte[Ed25519.SIGNATURE_SIZE];
            Ed25519.sign(seed, 0, publicKey, 0, m, 0, m.length, signature, 0);
            return signature;
        }

        @Override
        protected boolean engineVerify(byte[] signature) throws SignatureException {
            if (publicKey == null || seed != null) {
                throw new SignatureException("not initialized for verifying");
            }
            byte[] m = message.toByteArray();
            message.reset();
            return signature.length == Ed25519.SIGNATURE_SIZE
                    && Ed25519.verify(signature, 0, publicKey, 0, m, 0, m.length);
        }

        @Override
        @SuppressWarnings("deprecation")
        protected void engineSetParameter(String param, Object value) {
            throw new InvalidParameterException("Ed25519 takes no parameters");
        }

        @Override
        @SuppressWarnings("deprecation")
        protected Object engineGetParameter(String param) {
            throw new InvalidParameterException("Ed25519 takes no parameters");
        }

        private void reset() {
            message.reset();
            if (seed != null) {
                Arrays.fill(seed, (byte) 0);
            }
            seed = null;
            publicKey = null;
        }
    }
}
