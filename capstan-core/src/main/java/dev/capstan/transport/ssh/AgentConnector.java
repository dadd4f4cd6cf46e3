package dev.capstan.transport.ssh;

import java.io.IOException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.sshd.agent.SshAgent;
import org.apache.sshd.agent.SshAgentFactory;
import org.apache.sshd.agent.SshAgentServer;
import org.apache.sshd.common.FactoryManager;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.session.Session;

/**
 * Hands MINA an {@link AgentClient} for each login when an ssh-agent socket is configured. No socket, or one that
 * does not answer, simply means no agent keys (noted at debug level); agent forwarding is not offered.
 */
final class AgentConnector implements SshAgentFactory {

    private final Path socket;
    private final EventLog log;
    /** Every login asks for an agent; saying once that there is none is enough. */
    private final AtomicBoolean reportedMissing = new AtomicBoolean();

    AgentConnector(Path socket, EventLog log) {
        this.socket = socket;
        this.log = log;
    }

    /** The agent's public keys, or none when there is no usable agent. */
    List<PublicKey> keys() {
        try (SshAgent agent = connect()) {
            List<PublicKey> keys = new ArrayList<>();
            if (agent != null) {
                for (Map.Entry<PublicKey, String> identity : agent.getIdentities()) {
                    keys.add(identity.getKey());
                }
            }
            return keys;
        } catch (IOException e) {
            log.debug("ssh-agent at " + socket + " did not list its keys: " + e.getMessage());
            return List.of();
        }
    }

    /** Whether a socket is configured at all (for error messages listing what was tried). */
    boolean configured() {
        return socket != null;
    }

    /** For error messages: "ssh-agent", or what was wrong with the one configured (a stale SSH_AUTH_SOCK). */
    String describe() {
        return reportedMissing.get() ? "ssh-agent (none answered at " + socket + ")" : "ssh-agent";
    }

    @Override
    public SshAgent createClient(Session session, FactoryManager manager) {
        return connect();
    }

    private SshAgent connect() {
        if (socket == null) {
            return null;
        }
        try {
            return new AgentClient(socket);
        } catch (IOException e) {
            if (reportedMissing.compareAndSet(false, true)) {
                log.debug("no ssh-agent: cannot connect to " + socket + " (" + e.getMessage() + ")");
            }
            return null;
        }
    }

    @Override
    public List<ChannelFactory> getChannelForwardingFactories(FactoryManager manager) {
        return List.of();
    }

    @Override
    public SshAgentServer createServer(ConnectionService service) {
        throw new UnsupportedOperationException("capstan does not forward the ssh-agent");
    }
}
