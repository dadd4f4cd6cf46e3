package dev.capstan.transport.ssh;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.sshd.client.ClientBuilder;
import org.apache.sshd.client.ClientFactoryManager;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.UserAuthFactory;
import org.apache.sshd.client.auth.keyboard.UserAuthKeyboardInteractiveFactory;
import org.apache.sshd.client.auth.password.UserAuthPasswordFactory;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.session.ClientConnectionServiceFactory;
import org.apache.sshd.client.session.ClientSessionImpl;
import org.apache.sshd.client.session.SessionFactory;
import org.apache.sshd.common.FactoryManager;
import org.apache.sshd.common.channel.RequestHandler;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.io.IoSession;
import org.apache.sshd.common.kex.BuiltinDHFactories;
import org.apache.sshd.common.kex.KeyExchangeFactory;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.session.helpers.AbstractSessionFactory;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.core.CoreModuleProperties;

/**
 * Builds the one MINA {@link SshClient} of a run. Everything MINA would otherwise pick up on its own is replaced:
 * its default host key verifier accepts every key, and its defaults read {@code ~/.ssh} behind our back.
 */
final class ClientSetup {

    /**
     * Key exchanges tried first: MINA (with Bouncy Castle) prefers sntrup761, which costs 60-70 ms of client CPU per
     * handshake; ML-KEM hybrid is as post-quantum and takes about 0.5 ms, curve25519 about 15 ms.
     */
    private static final List<String> PREFERRED_KEX = List.of(
            BuiltinDHFactories.mlkem768x25519.getName(),
            BuiltinDHFactories.curve25519.getName(),
            BuiltinDHFactories.curve25519_libssh.getName());

    private ClientSetup() {
    }

    static SshClient newClient(SshSettings settings, HostKeyVerifier hostKeys, AgentConnector agent,
            EarlyConnects early) {
        SshClient client = ClientBuilder.builder().factory(CapstanSshClient::new).build();
        // Sockets connected (and identified) before this client existed are handed to it.
        client.setIoServiceFactoryFactory(early.ioFactories());
        client.setReservedSessionMessagesHandler(early.identificationSent());
        CoreModuleProperties.CLIENT_IDENTIFICATION.set(client, EarlyConnects.IDENTIFICATION);
        client.setServerKeyVerifier(hostKeys);
        // Targets are resolved by TargetResolver and keys loaded by Identities, per session; MINA's own defaults
        // would read ~/.ssh/config and ~/.ssh/id_* on their own.
        client.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
        client.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
        client.setFilePasswordProvider(FilePasswordProvider.EMPTY);
        client.setAgentFactory(agent.configured() ? agent : null);
        client.setUserAuthFactories(authMethods(settings));
        client.setServiceFactories(List.of(new SignedFirstLogin(), ClientConnectionServiceFactory.INSTANCE));
        client.setKeyExchangeFactories(preferFastKex(client.getKeyExchangeFactories()));
        client.setGlobalRequestHandlers(List.of(new HostKeysNotice()));

        // Without TCP_NODELAY, Nagle plus delayed ACKs cost ~40 ms per command.
        CoreModuleProperties.TCP_NODELAY.set(client, true);
        CoreModuleProperties.IO_CONNECT_TIMEOUT.set(client, settings.connectTimeout());
        CoreModuleProperties.AUTH_TIMEOUT.set(client, settings.connectTimeout());
        // MINA's 10 minute idle timeout silently kills a command that prints nothing for that long; liveness is
        // the keepalives' job instead.
        CoreModuleProperties.IDLE_TIMEOUT.set(client, Duration.ZERO);
        CoreModuleProperties.NIO2_READ_TIMEOUT.set(client, Duration.ZERO);
        CoreModuleProperties.HEARTBEAT_INTERVAL.set(client, settings.keepaliveInterval());
        CoreModuleProperties.HEARTBEAT_NO_REPLY_MAX.set(client, settings.keepaliveCountMax());
        client.start();
        return client;
    }

    /**
     * MINA's {@link SshClient} with two changes. No session-timeout watcher: capstan bounds connecting and logging in
     * with its own deadline ({@link Connector}), and MINA's idle timeout is off; the watcher would only be a session
     * listener that MINA calls through a reflective proxy on every session event, which costs a cold JVM about 10 ms
     * of CPU on the handshake's path (a method handle built per listener method on first use). And its sessions are
     * {@link AcknowledgingSession}s.
     */
    static final class CapstanSshClient extends SshClient {
        @Override
        protected void setupSessionTimeout(AbstractSessionFactory<?, ?> sessionFactory) {
            // capstan's own deadlines instead; removeSessionTimeout copes with no watcher
        }

        @Override
        protected SessionFactory createSessionFactory() {
            return new SessionFactory(this) {
                @Override
                protected ClientSessionImpl doCreateSession(IoSession ioSession) throws Exception {
                    return new AcknowledgingSession(getClient(), ioSession);
                }
            };
        }
    }

    /**
     * A client session that answers the server's acceptance of the user-auth service with an SSH_MSG_IGNORE, which
     * carries the TCP acknowledgement at once. The login request went out with the service request, so the client has
     * nothing else to send then, and its kernel would hold the acknowledgement back (a delayed ACK, 40 ms on Linux,
     * more elsewhere). sshd, without TCP_NODELAY until a pty is asked for, holds its next small message, the login's
     * success, until the acceptance is acknowledged: every login over a real link waited that long. (The delay proxy of
     * the benchmark acknowledges on sshd's side of the proxy, so only a link that delays every packet shows it.)
     * It also asks for the host key types known for its target first ({@link HostKeyVerifier#preferKnownKeyTypes}).
     */
    static final class AcknowledgingSession extends ClientSessionImpl {
        AcknowledgingSession(ClientFactoryManager client, IoSession ioSession) throws Exception {
            super(client, ioSession);
        }

        @Override
        protected void handleServiceAccept(String serviceName, Buffer buffer) throws Exception {
            super.handleServiceAccept(serviceName, buffer);
            sendIgnoreMessage();
        }

        /** Per connection, the host key algorithms of the key types known for the target first, as OpenSSH does. */
        @Override
        protected String resolveAvailableSignaturesProposal(FactoryManager manager) {
            String algorithms = super.resolveAvailableSignaturesProposal(manager);
            return getServerKeyVerifier() instanceof HostKeyVerifier hostKeys
                    ? hostKeys.preferKnownKeyTypes(this, algorithms)
                    : algorithms;
        }
    }

    /**
     * Answers OpenSSH's list of its host keys ({@code hostkeys-00@openssh.com}, sent right after login, no reply wanted)
     * with an SSH_MSG_IGNORE, which carries the TCP acknowledgement at once. sshd does not set TCP_NODELAY for sessions
     * without a pty, so its answer to our first channel open waits behind that unacknowledged list until the client's
     * delayed ACK fires: 40 ms on every first command. MINA's own handler only decoded the keys, then dropped them;
     * capstan does not learn host keys this way either.
     */
    static final class HostKeysNotice implements RequestHandler<ConnectionService> {
        static final String REQUEST = "hostkeys-00@openssh.com";

        @Override
        public Result process(ConnectionService service, String request, boolean wantReply, Buffer buffer)
                throws Exception {
            if (!REQUEST.equals(request)) {
                return Result.Unsupported;
            }
            service.getSession().sendIgnoreMessage();
            return wantReply ? Result.ReplyFailure : Result.Replied;
        }
    }

    /** Public keys always; password and keyboard-interactive only with {@code ssh_password}. */
    private static List<UserAuthFactory> authMethods(SshSettings settings) {
        List<UserAuthFactory> methods = new ArrayList<>();
        methods.add(UserAuthPublicKeyFactory.INSTANCE);
        if (settings.password() != null) {
            methods.add(UserAuthKeyboardInteractiveFactory.INSTANCE);
            methods.add(UserAuthPasswordFactory.INSTANCE);
        }
        return methods;
    }

    /**
     * The {@link #PREFERRED_KEX} first, in that order, then the rest in MINA's order. Two plain passes rather than a
     * sort by a {@code Comparator} lambda: that is linked on first use, ~1 ms while the first connections wait for the
     * client.
     */
    static List<KeyExchangeFactory> preferFastKex(List<KeyExchangeFactory> factories) {
        List<KeyExchangeFactory> ordered = new ArrayList<>(factories.size());
        for (String name : PREFERRED_KEX) {
            for (KeyExchangeFactory f : factories) {
                if (f.getName().equals(name)) {
                    ordered.add(f);
                }
            }
        }
        for (KeyExchangeFactory f : factories) {
            if (!PREFERRED_KEX.contains(f.getName())) {
                ordered.add(f);
            }
        }
        return ordered;
    }
}
