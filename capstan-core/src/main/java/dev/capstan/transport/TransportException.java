package dev.capstan.transport;

import dev.capstan.CapstanException;
import dev.capstan.Server;

/** A command could not run, or could not finish, on a server: the server is at fault, not the command. */
public class TransportException extends CapstanException {
    private static final long serialVersionUID = 1L;

    /** Why the transport failed, for reports that group hosts by cause. */
    public enum Reason {
        /** Nothing listens on the port. */
        REFUSED,
        /** Connecting took longer than the connect timeout. */
        CONNECT_TIMEOUT,
        /** The host name does not resolve. */
        UNKNOWN_HOST,
        /** No identity or password was accepted. */
        AUTH,
        /** The host key is unknown or changed. */
        HOST_KEY,
        /** The connection broke while a command ran. */
        CONNECTION_LOST,
        /** The command ran longer than its timeout and was stopped. */
        COMMAND_TIMEOUT,
        /** Uploading or downloading a file failed. */
        TRANSFER,
        /** Anything else. */
        OTHER
    }

    private final transient Server server;
    private final Reason reason;

    public TransportException(Server server, Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.server = server;
        this.reason = reason;
    }

    public TransportException(Server server, Reason reason, String message) {
        this(server, reason, message, null);
    }

    public Server server() {
        return server;
    }

    public Reason reason() {
        return reason;
    }
}
