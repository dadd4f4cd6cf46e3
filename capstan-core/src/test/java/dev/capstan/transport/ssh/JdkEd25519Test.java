package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.EdECPublicKey;
import java.util.HexFormat;
import java.util.Map;
import org.apache.sshd.common.config.keys.KeyEntryResolver;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.common.util.io.output.SecureByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/** The JDK-backed ssh-ed25519 support: RFC 8032 encodings and MINA's OpenSSH key formats, without Bouncy Castle. */
class JdkEd25519Test {

    private static final HexFormat HEX = HexFormat.of();
    private static final JdkEd25519 ED = JdkEd25519.INSTANCE;

    /** RFC 8032, 7.1, TEST 1 and TEST 2: secret key, public key, message, signature. */
    private static final String[][] VECTORS = {
        {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f"
                + "0595bbe24655141438e7a100b"},
        {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2e"
                + "aeb4302aeeb00d291612bb0c00"},
    };

    @Test
    void derivesThePublicKeyOfRfc8032Seeds() throws Exception {
        for (String[] v : VECTORS) {
            EdECPrivateKey privateKey = ED.generateEDDSAPrivateKey(HEX.parseHex(v[0]));
            EdECPublicKey publicKey = ED.recoverEDDSAPublicKey(privateKey);

            assertThat(HEX.formatHex(ED.getPublicKeyData(publicKey))).isEqualTo(v[1]);
            assertThat(HEX.formatHex(ED.getPrivateKeyData(privateKey))).isEqualTo(v[0]);
        }
    }

    @Test
    void decodesRfc8032PublicKeysAndVerifiesTheirSignaturesWithTheJdk() throws Exception {
        for (String[] v : VECTORS) {
            EdECPublicKey publicKey = ED.generateEDDSAPublicKey(HEX.parseHex(v[1]));
            Signature verifier = Signature.getInstance("Ed25519");
            verifier.initVerify(publicKey);
            verifier.update(HEX.parseHex(v[2]));

            assertThat(verifier.verify(HEX.parseHex(v[3]))).isTrue();
            assertThat(HEX.formatHex(ED.getPublicKeyData(publicKey))).isEqualTo(v[1]);
        }
    }

    @Test
    void signsLikeRfc8032() throws Exception {
        for (String[] v : VECTORS) {
            Signature signer = Signature.getInstance("Ed25519");
            signer.initSign(ED.generateEDDSAPrivateKey(HEX.parseHex(v[0])));
            signer.update(HEX.parseHex(v[2]));

            assertThat(HEX.formatHex(signer.sign())).isEqualTo(v[3]);
        }
    }

    @Test
    void encodesEveryPublicKeyBackToItsOwnBytes() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
        for (int i = 0; i < 200; i++) { // both parities of x, and y with leading zero bytes
            EdECPublicKey key = (EdECPublicKey) generator.generateKeyPair().getPublic();
            byte[] raw = ED.getPublicKeyData(key);
            EdECPublicKey decoded = ED.generateEDDSAPublicKey(raw);

            assertThat(raw).hasSize(32);
            assertThat(decoded.getEncoded()).isEqualTo(key.getEncoded());
            assertThat(ED.compareEDDSAPPublicKeys(key, decoded)).isTrue();
        }
    }

    @Test
    void comparesKeysByValue() throws Exception {
        KeyPair a = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        KeyPair b = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        EdECPrivateKey aAgain = ED.generateEDDSAPrivateKey(ED.getPrivateKeyData((EdECPrivateKey) a.getPrivate()));

        assertThat(ED.compareEDDSAPPublicKeys(a.getPublic(), b.getPublic())).isFalse();
        assertThat(ED.compareEDDSAPrivateKeys(a.getPrivate(), aAgain)).isTrue();
        assertThat(ED.compareEDDSAPrivateKeys(a.getPrivate(), b.getPrivate())).isFalse();
        assertThat(ED.getEDDSAKeySize(a.getPublic())).isEqualTo(256);
        assertThat(ED.getEDDSAKeySize(KeyPairGenerator.getInstance("Ed448").generateKeyPair().getPublic()))
                .isEqualTo(-1);
    }

    @Test
    void refusesKeysOfTheWrongSize() {
        assertThatThrownBy(() -> ED.generateEDDSAPublicKey(new byte[31])).isInstanceOf(InvalidKeyException.class);
        assertThatThrownBy(() -> ED.generateEDDSAPrivateKey(new byte[33])).isInstanceOf(InvalidKeyException.class);
    }

    @Test
    void generatesKeyPairsOfTheSizeMinaAsksFor() throws Exception {
        KeyPair pair = ED.getEDDSAPublicKeyEntryDecoder().generateKeyPair(256);

        assertThat(pair.getPublic()).isInstanceOf(EdECPublicKey.class);
        assertThat(ED.recoverEDDSAPublicKey(pair.getPrivate()).getEncoded()).isEqualTo(pair.getPublic().getEncoded());
    }

    @Test
    void roundTripsThePublicKeyFormOfAuthorizedKeysAndKnownHosts() throws Exception {
        EdECPublicKey key = ED.generateEDDSAPublicKey(HEX.parseHex(VECTORS[0][1]));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ED.getEDDSAPublicKeyEntryDecoder().encodePublicKey(out, key);

        // "ssh-ed25519", then the 32 key bytes, each length-prefixed
        ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
        assertThat(KeyEntryResolver.decodeString(in, 64)).isEqualTo("ssh-ed25519");
        EdECPublicKey decoded = ED.getEDDSAPublicKeyEntryDecoder().decodePublicKey(null, "ssh-ed25519", in, Map.of());
        assertThat(decoded.getEncoded()).isEqualTo(key.getEncoded());
    }

    @Test
    void roundTripsTheKeyPairOfAnOpenSshPrivateKeyFile() throws Exception {
        KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        SecureByteArrayOutputStream out = new SecureByteArrayOutputStream();
        String type = ED.getOpenSSHEDDSAPrivateKeyEntryDecoder().encodePrivateKey(out,
                (EdECPrivateKey) pair.getPrivate(), (EdECPublicKey) pair.getPublic());

        EdECPrivateKey decoded = ED.getOpenSSHEDDSAPrivateKeyEntryDecoder()
                .decodePrivateKey(null, type, null, new ByteArrayInputStream(out.toByteArray()));
        assertThat(ED.compareEDDSAPrivateKeys(decoded, pair.getPrivate())).isTrue();
    }

    @Test
    void writesTheAgentFormOfAKeyPair() throws Exception {
        EdECPrivateKey privateKey = ED.generateEDDSAPrivateKey(HEX.parseHex(VECTORS[0][0]));
        ByteArrayBuffer buffer = ED.putEDDSAKeyPair(new ByteArrayBuffer(), ED.recoverEDDSAPublicKey(privateKey),
                privateKey);

        assertThat(HEX.formatHex(buffer.getBytes())).isEqualTo(VECTORS[0][1]);
        assertThat(HEX.formatHex(buffer.getBytes())).isEqualTo(VECTORS[0][0] + VECTORS[0][1]);
    }
}
