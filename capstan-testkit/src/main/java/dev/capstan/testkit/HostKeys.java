package dev.capstan.testkit;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.apache.sshd.certificate.OpenSshCertificateBuilder;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.keyprovider.KeyPairProvider;

/** Host keys of other types than ed25519, and host certificates. */
final class HostKeys {

    private HostKeys() {
    }

    /** A fresh key pair of an SSH key type: {@code ssh-ed25519}, {@code ecdsa-sha2-nistp256/384/521}, {@code ssh-rsa}. */
    static KeyPair generate(String type) throws IOException {
        int bits = switch (type) {
            case KeyPairProvider.SSH_ED25519 -> 256;
            case "ecdsa-sha2-nistp256" -> 256;
            case "ecdsa-sha2-nistp384" -> 384;
            case "ecdsa-sha2-nistp521" -> 521;
            case KeyPairProvider.SSH_RSA -> 2048;
            default -> throw new IllegalArgumentException("unsupported host key type: " + type);
        };
        try {
            return KeyUtils.generateKeyPair(type, bits);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot generate a " + type + " key pair", e);
        }
    }

    /** A host certificate for {@code key}, valid from a minute ago for a day. */
    static OpenSshCertificate certify(PublicKey key, KeyPair authority, List<String> principals) throws IOException {
        Instant now = Instant.now();
        try {
            return OpenSshCertificateBuilder.hostCertificate()
                    .publicKey(key)
                    .serial(1)
                    .id("capstan-testkit host")
                    .principals(principals)
                    .validAfter(now.minus(Duration.ofMinutes(1)))
                    .validBefore(now.plus(Duration.ofDays(1)))
                    .sign(authority);
        } catch (Exception e) {
            throw new IOException("cannot sign a host certificate", e);
        }
    }
}
