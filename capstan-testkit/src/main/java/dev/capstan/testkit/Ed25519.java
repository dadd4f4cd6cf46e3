package dev.capstan.testkit;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.keyprovider.KeyPairProvider;

/** Generates ed25519 key pairs and renders their public halves in OpenSSH text form. */
final class Ed25519 {

    private Ed25519() {
    }

    /** A fresh key pair; MINA picks the provider (Bouncy Castle here) that supports ed25519. */
    static KeyPair generate() throws IOException {
        try {
            return KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot generate an ed25519 key pair", e);
        }
    }

    /** {@code "ssh-ed25519 AAAA..."}, the form used by authorized_keys and known_hosts. */
    static String openSsh(PublicKey key) {
        return PublicKeyEntry.toString(key);
    }
}
