package dev.capstan.transport.ssh;

import dev.capstan.Server;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Where and as whom to connect once ssh config and variables are applied. Equal targets share one pool of
 * connections, so two servers behind the same jump host share the connection to it.
 *
 * @param user           login user
 * @param host           host name or address to connect to (after {@code HostName})
 * @param port           port, never 0
 * @param identityFiles  {@code IdentityFile}s from ssh config, offered before the default identities
 * @param identitiesOnly {@code IdentitiesOnly}: offer only {@code identityFiles} (and the agent)
 * @param jump           the jump host this target is reached through, or {@code null} for a direct connection
 */
record SshTarget(String user, String host, int port, List<Path> identityFiles, boolean identitiesOnly, SshTarget jump) {

    static final int DEFAULT_PORT = 22;

    SshTarget {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(host, "host");
        identityFiles = List.copyOf(identityFiles);
    }

    /** This target reached through {@code via} instead. */
    SshTarget viaJump(SshTarget via) {
        return new SshTarget(user, host, port, identityFiles, identitiesOnly, via);
    }

    /** This target as a server of its own, for events and errors about a jump host. */
    Server asServer() {
        return new Server(user, host, port, Set.of(), Map.of());
    }

    /** {@code host} or {@code host:port}, as users write it in messages. */
    String address() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return port == DEFAULT_PORT ? h : h + ":" + port;
    }

    // equals and hashCode written out: a record's own are linked through method handles on first use, a few ms of
    // CPU on the way to the first connection, where targets are the connection pool's keys.
    @Override
    public boolean equals(Object other) {
        return other instanceof SshTarget that && user.equals(that.user) && host.equals(that.host)
                && port == that.port && identityFiles.equals(that.identityFiles)
                && identitiesOnly == that.identitiesOnly && Objects.equals(jump, that.jump);
    }

    @Override
    public int hashCode() {
        return Objects.hash(user, host, port, identityFiles, identitiesOnly, jump);
    }

    /** {@code user@host[:port]}, plus the jump path: {@code deploy@web1 via bastion}. */
    @Override
    public String toString() {
        return user + "@" + address() + (jump == null ? "" : " via " + jump.address());
    }
}
