package dev.capstan.transport.ssh;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.EdECKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.EdECPoint;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.EdECPublicKeySpec;
import java.security.spec.KeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.Arrays;
import org.apache.sshd.common.config.keys.PrivateKeyEntryDecoder;
import org.apache.sshd.common.config.keys.PublicKeyEntryDecoder;
import org.apache.sshd.common.signature.Signature;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.security.eddsa.generic.EdDSASupport;
import org.apache.sshd.common.util.security.eddsa.generic.GenericEd25519PublicKeyDecoder;
import org.apache.sshd.common.util.security.eddsa.generic.GenericOpenSSHEd25519PrivateKeyEntryDecoder;
import org.apache.sshd.common.util.security.eddsa.generic.GenericSignatureEd25519;

/**
 * ssh-ed25519 for MINA on the JDK's own EdDSA (SunEC, RFC 8032), so that host keys and identities of that type need
 * no Bouncy Castle provider: registering that provider costs a cold JVM about 100 ms, more than the whole key exchange.
 * MINA's generic decoders and signature do the SSH encoding; this class only converts between the 32-byte RFC 8032
 * encodings SSH uses and the JDK's key objects.
 */
final class JdkEd25519 implements EdDSASupport<EdECPublicKey, EdECPrivateKey> {

    static final JdkEd25519 INSTANCE = new JdkEd25519();

    /** The JCA name of the algorithm (key factory, key pair generator, signature). */
    static final String ALGORITHM = "Ed25519";
    private static final int KEY_BYTES = 32;

    private JdkEd25519() {
    }

    @Override
    public PublicKeyEntryDecoder<EdECPublicKey, EdECPrivateKey> getEDDSAPublicKeyEntryDecoder() {
        return new PublicKeys();
    }

    @Override
    public PrivateKeyEntryDecoder<EdECPublicKey, EdECPrivateKey> getOpenSSHEDDSAPrivateKeyEntryDecoder() {
        return new GenericOpenSSHEd25519PrivateKeyEntryDecoder<>(EdECPublicKey.class, EdECPrivateKey.class, this);
    }

    @Override
    public Signature getEDDSASigner() {
        return new GenericSignatureEd25519(ALGORITHM);
    }

    @Override
    public int getEDDSAKeySize(Key key) {
        return isEd25519(key) ? EdDSASupport.KEY_SIZE : -1;
    }

    @Override
    public Class<EdECPublicKey> getEDDSAPublicKeyType() {
        return EdECPublicKey.class;
    }

    @Override
    public Class<EdECPrivateKey> getEDDSAPrivateKeyType() {
        return EdECPrivateKey.class;
    }

    @Override
    public boolean compareEDDSAPPublicKeys(PublicKey k1, PublicKey k2) {
        return isEd25519(k1) && isEd25519(k2)
                && Arrays.equals(getPublicKeyData((EdECPublicKey) k1), getPublicKeyData((EdECPublicKey) k2));
    }

    @Override
    public boolean compareEDDSAPrivateKeys(PrivateKey k1, PrivateKey k2) {
        if (!isEd25519(k1) || !isEd25519(k2)) {
            return false;
        }
        byte[] a = seed((EdECPrivateKey) k1);
        byte[] b = seed((EdECPrivateKey) k2);
        try {
            return MessageDigest.isEqual(a, b);
        } finally {
            Arrays.fill(a, (byte) 0);
            Arrays.fill(b, (byte) 0);
        }
    }

    /**
     * The JDK has no call for it, but an Ed25519 private key is its 32-byte seed, and the JDK's generator takes exactly
     * those bytes from its random source: handing it the seed as "randomness" derives the matching public key.
     */
    @Override
    public EdECPublicKey recoverEDDSAPublicKey(PrivateKey key) throws GeneralSecurityException {
        if (!isEd25519(key)) {
            throw new InvalidKeyException("not an Ed25519 private key: " + (key == null ? null : key.getAlgorithm()));
        }
        byte[] seed = seed((EdECPrivateKey) key);
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(ALGORITHM);
            generator.initialize(NamedParameterSpec.ED25519, new SeedSource(seed));
            KeyPair pair = generator.generateKeyPair();
            EdECPrivateKey derived = (EdECPrivateKey) pair.getPrivate();
            byte[] check = seed(derived);
            boolean same = MessageDigest.isEqual(check, seed);
            Arrays.fill(check, (byte) 0);
            if (!same) {
                throw new InvalidKeyException("cannot derive the Ed25519 public key from the private key");
            }
            return (EdECPublicKey) pair.getPublic();
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }

    /** From the 32-byte encoding of RFC 8032 5.1.2 (y little-endian, the top bit holding x's parity). */
    @Override
    public EdECPublicKey generateEDDSAPublicKey(byte[] encoded) throws GeneralSecurityException {
        if (encoded == null || encoded.length != KEY_BYTES) {
            throw new InvalidKeyException("an Ed25519 public key has " + KEY_BYTES + " bytes, got "
                    + (encoded == null ? null : encoded.length));
        }
        byte[] bigEndian = new byte[KEY_BYTES];
        for (int i = 0; i < KEY_BYTES; i++) {
            bigEndian[i] = encoded[KEY_BYTES - 1 - i];
        }
        boolean xOdd = (bigEndian[0] & 0x80) != 0;
        bigEndian[0] &= 0x7f;
        EdECPoint point = new EdECPoint(xOdd, new BigInteger(1, bigEndian));
        return (EdECPublicKey) keyFactory().generatePublic(new EdECPublicKeySpec(NamedParameterSpec.ED25519, point));
    }

    /** From the 32-byte seed. */
    @Override
    public EdECPrivateKey generateEDDSAPrivateKey(byte[] seed) throws GeneralSecurityException {
        if (seed == null || seed.length != KEY_BYTES) {
            throw new InvalidKeyException("an Ed25519 private key has " + KEY_BYTES + " bytes, got "
                    + (seed == null ? null : seed.length));
        }
        return (EdECPrivateKey) keyFactory().generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
    }

    @Override
    public <B extends Buffer> B putRawEDDSAPublicKey(B buffer, PublicKey key) {
        buffer.putBytes(getPublicKeyData(ed25519Public(key)));
        return buffer;
    }

    /** The OpenSSH agent form: the public key, then the private seed followed by the public key. */
    @Override
    public <B extends Buffer> B putEDDSAKeyPair(B buffer, PublicKey pubKey, PrivateKey prvKey) {
        if (!isEd25519(prvKey)) {
            throw new IllegalArgumentException("not an Ed25519 private key: " + prvKey);
        }
        byte[] pk = getPublicKeyData(ed25519Public(pubKey));
        byte[] sk = seed((EdECPrivateKey) prvKey);
        byte[] both = new byte[2 * KEY_BYTES];
        System.arraycopy(sk, 0, both, 0, KEY_BYTES);
        System.arraycopy(pk, 0, both, KEY_BYTES, KEY_BYTES);
        buffer.putBytes(pk);
        buffer.putBytes(both);
        Arrays.fill(sk, (byte) 0);
        Arrays.fill(both, (byte) 0);
        return buffer;
    }

    @Override
    public KeySpec createPublicKeySpec(EdECPublicKey key) {
        return new EdECPublicKeySpec(key.getParams(), key.getPoint());
    }

    @Override
    public KeySpec createPrivateKeySpec(EdECPrivateKey key) {
        return new EdECPrivateKeySpec(key.getParams(), seed(key));
    }

    /** The 32-byte encoding of RFC 8032 5.1.2: y little-endian, x's parity in the top bit. */
    @Override
    public byte[] getPublicKeyData(EdECPublicKey key) {
        EdECPoint point = key.getPoint();
        byte[] y = point.getY().toByteArray(); // big-endian, maybe with a leading sign byte
        byte[] encoded = new byte[KEY_BYTES];
        for (int i = 0; i < KEY_BYTES && i < y.length; i++) {
            encoded[i] = y[y.length - 1 - i];
        }
        if (point.isXOdd()) {
            encoded[KEY_BYTES - 1] |= (byte) 0x80;
        }
        return encoded;
    }

    @Override
    public byte[] getPrivateKeyData(EdECPrivateKey key) {
        return seed(key);
    }

    @Override
    public String getKeyFactoryAlgorithm() {
        return ALGORITHM;
    }

    private static KeyFactory keyFactory() throws GeneralSecurityException {
        return KeyFactory.getInstance(ALGORITHM);
    }

    private static boolean isEd25519(Key key) {
        return key instanceof EdECKey ed && ALGORITHM.equalsIgnoreCase(ed.getParams().getName());
    }

    private static EdECPublicKey ed25519Public(PublicKey key) {
        if (!isEd25519(key)) {
            throw new IllegalArgumentException("not an Ed25519 public key: " + key);
        }
        return (EdECPublicKey) key;
    }

    private static byte[] seed(EdECPrivateKey key) {
        return key.getBytes().orElseThrow(() -> new IllegalArgumentException("the Ed25519 private key has no bytes"))
                .clone();
    }

    /** ssh-ed25519 keys as MINA decodes and generates them; the JDK calls the 256-bit size of SSH 255. */
    private final class PublicKeys extends GenericEd25519PublicKeyDecoder<EdECPublicKey, EdECPrivateKey> {
        PublicKeys() {
            super(EdECPublicKey.class, EdECPrivateKey.class, JdkEd25519.this);
        }

        @Override
        public KeyPair generateKeyPair(int keySize) throws GeneralSecurityException {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(ALGORITHM);
            generator.initialize(NamedParameterSpec.ED25519);
            return generator.generateKeyPair();
        }
    }

    /** Hands out the one seed it holds, then refuses: a generator asking for more would not derive from it. */
    private static final class SeedSource extends SecureRandom {
        private static final long serialVersionUID = 1L;
        private byte[] seed;

        SeedSource(byte[] seed) {
            this.seed = seed;
        }

        @Override
        public synchronized void nextBytes(byte[] bytes) {
            if (seed == null || bytes.length != seed.length) {
                throw new IllegalStateException("Ed25519 key derivation asked for unexpected random bytes");
            }
            System.arraycopy(seed, 0, bytes, 0, bytes.length);
            seed = null;
        }
    }
}
