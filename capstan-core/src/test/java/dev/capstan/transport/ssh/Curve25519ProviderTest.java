package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.XECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.KeyAgreement;
import org.junit.jupiter.api.Test;

/** capstan's X25519 and Ed25519 against the JDK's own implementations and RFC test vectors. */
class Curve25519ProviderTest {
    private final Curve25519Provider provider = new Curve25519Provider();

    @Test
    void x25519AgreesWithTheJdkBothWays() throws Exception {
        for (int i = 0; i < 20; i++) {
            KeyPair ours = KeyPairGenerator.getInstance("X25519", provider).generateKeyPair();
            KeyPair jdks = KeyPairGenerator.getInstance("X25519").generateKeyPair();

            // our public key as MINA sends it (the last 32 bytes of its X.509 form), read back by the JDK
            PublicKey oursSeenByJdk = KeyFactory.getInstance("X25519")
                    .generatePublic(new X509EncodedKeySpec(ours.getPublic().getEncoded()));
            PublicKey jdksSeenByUs = KeyFactory.getInstance("X25519", provider)
                    .generatePublic(new X509EncodedKeySpec(jdks.getPublic().getEncoded()));
            assertThat(((XECPublicKey) oursSeenByJdk).getU()).isEqualTo(((XECPublicKey) ours.getPublic()).getU());

            KeyAgreement ourSide = KeyAgreement.getInstance("X25519", provider);
            ourSide.init(ours.getPrivate());
            ourSide.doPhase(jdksSeenByUs, true);
            KeyAgreement jdkSide = KeyAgreement.getInstance("X25519");
            jdkSide.init(jdks.getPrivate());
            jdkSide.doPhase(oursSeenByJdk, true);

            byte[] secret = jdkSide.generateSecret();
            assertThat(ourSide.generateSecret()).hasSize(32).isEqualTo(secret);

            // and with the JDK's own key objects handed straight to our agreement
            KeyAgreement withJdkKeys = KeyAgreement.getInstance("X25519", provider);
            withJdkKeys.init(jdks.getPrivate());
            withJdkKeys.doPhase(oursSeenByJdk, true);
            assertThat(withJdkKeys.generateSecret()).isEqualTo(secret);
        }
    }

    /** RFC 7748 6.1: Alice's and Bob's keys and their shared secret. */
    @Test
    void x25519MatchesRfc7748() throws Exception {
        HexFormat hex = HexFormat.of();
        byte[] alicePrivate = hex.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] bobPublic = hex.parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        KeyAgreement agreement = KeyAgreement.getInstance("X25519", provider);
        agreement.init(new Curve25519Provider.X25519Private(alicePrivate));
        agreement.doPhase(new Curve25519Provider.X25519Public(bobPublic), true);

        assertThat(hex.formatHex(agreement.generateSecret()))
                .isEqualTo("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    }

    /** RFC 7748 and RFC 8731: a peer value of small order gives an all-zero secret, which must be refused. */
    @Test
    void x25519RefusesAPeerKeyOfSmallOrder() throws Exception {
        KeyAgreement agreement = KeyAgreement.getInstance("X25519", provider);
        agreement.init(KeyPairGenerator.getInstance("X25519", provider).generateKeyPair().getPrivate());

        assertThatThrownBy(() -> agreement.doPhase(new Curve25519Provider.X25519Public(new byte[32]), true))
                .isInstanceOf(InvalidKeyException.class).hasMessageContaining("small order");
    }

    @Test
    void x25519KeyFactoryRefusesOtherEncodings() throws Exception {
        byte[] ed25519Encoded = new byte[44];
        KeyFactory factory = KeyFactory.getInstance("X25519", provider);
        assertThatThrownBy(() -> factory.generatePublic(new X509EncodedKeySpec(ed25519Encoded)))
                .hasMessageContaining("not the X.509 encoding of an X25519 public key");
    }

    @Test
    void ed25519SignaturesCheckBothWaysWithTheJdk() throws Exception {
        KeyPair key = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] message = "the exchange hash, or a login request".getBytes();

        byte[] signedByUs = sign(Signature.getInstance("Ed25519", provider), key.getPrivate(), message);
        byte[] signedByJdk = sign(Signature.getInstance("Ed25519"), key.getPrivate(), message);

        assertThat(signedByUs).isEqualTo(signedByJdk); // Ed25519 is deterministic
        Signature jdk = Signature.getInstance("Ed25519");
        jdk.initVerify(key.getPublic());
        jdk.update(message);
        assertThat(jdk.verify(signedByUs)).isTrue();
        assertThat(verifies(key.getPublic(), message, signedByJdk)).isTrue();
    }

    @Test
    void ed25519RefusesATamperedMessageSignatureOrKey() throws Exception {
        KeyPair key = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        KeyPair other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] message = "exchange hash".getBytes();
        byte[] signature = sign(Signature.getInstance("Ed25519", provider), key.getPrivate(), message);

        assertThat(verifies(key.getPublic(), "exchange hasH".getBytes(), signature)).isFalse();
        byte[] flipped = signature.clone();
        flipped[10] ^= 1;
        assertThat(verifies(key.getPublic(), message, flipped)).isFalse();
        assertThat(verifies(key.getPublic(), message, Arrays.copyOf(signature, 63))).isFalse();
        assertThat(verifies(other.getPublic(), message, signature)).isFalse();
        assertThat(verifies(key.getPublic(), message, signature)).isTrue();
    }

    /** RFC 8032 7.1, test 2: a one-byte message. */
    @Test
    void ed25519MatchesRfc8032() throws Exception {
        HexFormat hex = HexFormat.of();
        byte[] seed = hex.parseHex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
        byte[] publicKey = hex.parseHex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
        EdECPrivateKey privateKey = JdkEd25519.INSTANCE.generateEDDSAPrivateKey(seed);
        Signature signer = Signature.getInstance("Ed25519", provider);
        signer.initSign(privateKey);
        signer.update((byte) 0x72);

        byte[] signature = signer.sign();

        assertThat(hex.formatHex(signature)).isEqualTo(
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                + "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
        PublicKey key = JdkEd25519.INSTANCE.generateEDDSAPublicKey(publicKey);
        assertThat(verifies(key, new byte[] {0x72}, signature)).isTrue();
    }

    private static byte[] sign(Signature signer, PrivateKey key, byte[] message) throws Exception {
        signer.initSign(key);
        signer.update(message);
        return signer.sign();
    }

    private boolean verifies(PublicKey key, byte[] message, byte[] signature) throws Exception {
        Signature verifier = Signature.getInstance("Ed25519", provider);
        verifier.initVerify(key);
        verifier.update(message);
        return verifier.verify(signature);
    }
}
