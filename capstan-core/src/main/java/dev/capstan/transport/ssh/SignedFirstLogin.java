package dev.capstan.transport.ssh;

import java.io.IOException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import org.apache.sshd.client.auth.pubkey.KeyPairIdentity;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.future.AuthFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.client.session.ClientUserAuthService;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.Service;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.auth.AbstractUserAuthServiceFactory;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * Logs in with a signed public-key request as the very first authentication message, sent in the same flight as the
 * request for the user-auth service, where MINA would first send a "none" probe and then an unsigned query for the
 * key: two round trips less per connection, which is most of what a login costs on a distant host.
 *
 * <p>When the server is OpenSSH, the connection's first exec channels are opened in the same flight too
 * ({@link #FIRST_CHANNELS}): one for each command waiting for the connection ({@link #CHANNELS_WANTED}), at least
 * one. RFC 4252 hands what a client sends after the request that succeeds to the next service, and sshd answers the
 * opens together with its success (sshd holds small replies until the previous one is acknowledged, so on a distant
 * link a channel opened after the success waits a round trip for the acknowledgement and another for its answer). If
 * the signed request does not succeed, the server saw the opens before any login and refused them, so the channels
 * are forgotten.
 *
 * <p>Only a key read from a file is offered this way (the first of {@link #FIRST_KEY}); an agent's keys may need a
 * touch or a confirmation, so they wait for the server's go-ahead as usual. When the server refuses the signed request,
 * its answer is read as the answer to MINA's probe and MINA's usual sequence takes over, every key included.
 */
final class SignedFirstLogin extends AbstractUserAuthServiceFactory {

    /** The key to offer signed at once; set on a session before {@link ClientSession#auth()}. */
    static final AttributeKey<KeyPair> FIRST_KEY = new AttributeKey<>();
    /**
     * How many exec channels to open with the signed login, asked when it goes out; one when not set. Capped at
     * {@link #MAX_FIRST_CHANNELS}.
     */
    static final AttributeKey<IntSupplier> CHANNELS_WANTED = new AttributeKey<>();
    /** The exec channels opened in the flight of the signed login, set on a session that logged in with them. */
    static final AttributeKey<List<ExecChannel>> FIRST_CHANNELS = new AttributeKey<>();
    /**
     * The methods the server last said can continue a login (RFC 4252 section 5.1), set on a session whose login
     * was refused, so that the failure can name what the server would take.
     */
    static final AttributeKey<List<String>> SERVER_METHODS = new AttributeKey<>();
    /** OpenSSH's default MaxSessions: more opens in one flight would be refused by a default sshd. */
    static final int MAX_FIRST_CHANNELS = 10;

    private static final String METHOD = UserAuthPublicKeyFactory.NAME;

    @Override
    public Service create(Session session) throws IOException {
        return new LoginService(session);
    }

    /** MINA's user-auth service, but for its first request. */
    static final class LoginService extends ClientUserAuthService {

        /** The channels opened with the signed request until the server has answered that request. */
        private volatile List<ExecChannel> firstChannels = List.of();

        LoginService(Session session) {
            super(session);
        }

        @Override
        protected IoWriteFuture sendInitialAuthRequest(ClientSession session, String service) throws IOException {
            KeyPair key = session.getAttribute(FIRST_KEY);
            String algorithm = key == null || !clientMethods.contains(METHOD)
                    ? null : signatureAlgorithm(session, key.getPublic());
            if (algorithm == null) {
                return super.sendInitialAuthRequest(session, service);
            }
            Buffer request;
            try {
                request = signedRequest(session, service, key, algorithm);
            } catch (Exception e) {
                log.debug("signing the first login request to {} failed, asking first: {}", session, e.toString());
                return super.sendInitialAuthRequest(session, service);
            }
            // Registered before the request goes out, so that however soon the answer comes, it finds the channels.
            List<ExecChannel> first = new ArrayList<>();
            for (int i = isOpenSsh(session) ? channelsWanted(session) : 0; i > 0; i--) {
                first.add(ExecChannel.registeredOn(session));
            }
            firstChannels = List.copyOf(first);
            IoWriteFuture written = session.writePacket(request);
            try {
                for (ExecChannel channel : first) {
                    channel.requestOpen();
                }
            } catch (IOException e) {
                // Closed meanwhile: the signed request was refused already.
            }
            return written;
        }

        /** The server's answer to the signed request decides whether the channels opened with it count. */
        @Override
        protected void processUserAuth(int cmd, Buffer buffer, AuthFuture authFuture) throws Exception {
            List<ExecChannel> opened = firstChannels;
            firstChannels = List.of();
            if (!opened.isEmpty()) {
                if (cmd == SshConstants.SSH_MSG_USERAUTH_SUCCESS) {
                    getClientSession().setAttribute(FIRST_CHANNELS, opened);
                    // Nothing else goes out now, and sshd holds the channels' answers until the success is
                    // acknowledged: an SSH_MSG_IGNORE carries the acknowledgement at once, not a delayed ACK later.
                    getClientSession().sendIgnoreMessage();
                } else {
                    // sshd refused them as sent before any login; nothing to tell it
                    opened.forEach(channel -> channel.close(true));
                }
            }
            super.processUserAuth(cmd, buffer, authFuture);
        }

        /** Called after each refusal, with the server's methods read; keeps them for the failure's message. */
        @Override
        protected void tryNext(int cmd, AuthFuture authFuture) throws Exception {
            if (serverMethods != null) {
                getClientSession().setAttribute(SERVER_METHODS, List.copyOf(serverMethods));
            }
            super.tryNext(cmd, authFuture);
        }

        private static int channelsWanted(ClientSession session) {
            IntSupplier wanted = session.getAttribute(CHANNELS_WANTED);
            return Math.clamp(wanted == null ? 1 : wanted.getAsInt(), 1, MAX_FIRST_CHANNELS);
        }

        private static boolean isOpenSsh(ClientSession session) {
            String version = session.getServerVersion();
            return version != null && version.startsWith("SSH-2.0-OpenSSH_");
        }

        /** RFC 4252 section 7: the request, with the signature over the session id and the request itself. */
        private static Buffer signedRequest(ClientSession session, String service, KeyPair key, String algorithm)
                throws Exception {
            Buffer signed = new ByteArrayBuffer();
            signed.putBytes(session.getSessionId());
            signed.putByte(SshConstants.SSH_MSG_USERAUTH_REQUEST);
            int start = signed.wpos();
            signed.putString(session.getUsername());
            signed.putString(service);
            signed.putString(METHOD);
            signed.putBoolean(true);
            signed.putString(algorithm);
            signed.putPublicKey(key.getPublic());
            int end = signed.wpos();

            Map.Entry<String, byte[]> signature = new KeyPairIdentity(session, session, key)
                    .sign(session, algorithm, signed.getCompactData());

            Buffer request = session.createBuffer(SshConstants.SSH_MSG_USERAUTH_REQUEST, end - start + 256);
            request.putRawBytes(signed.array(), start, end - start);
            Buffer blob = new ByteArrayBuffer();
            blob.putString(KeyUtils.getSignatureAlgorithm(signature.getKey(), key.getPublic()));
            blob.putBytes(signature.getValue());
            request.putBytes(blob.getCompactData());
            return request;
        }

        /**
         * The algorithm to sign with, or null to ask first. RSA signs with SHA-512 (OpenSSH 7.2 on); a server that
         * only knows SHA-1 refuses it, and MINA's sequence then finds what it accepts.
         */
        private static String signatureAlgorithm(ClientSession session, PublicKey key) {
            String type = KeyUtils.getKeyType(key);
            String algorithm = KeyPairProvider.SSH_RSA.equals(type) ? KeyUtils.RSA_SHA512_KEY_TYPE_ALIAS : type;
            if (algorithm == null || NamedResource.findByName(
                    algorithm, String.CASE_INSENSITIVE_ORDER, session.getSignatureFactories()) == null) {
                return null;
            }
            return algorithm;
        }
    }
}
