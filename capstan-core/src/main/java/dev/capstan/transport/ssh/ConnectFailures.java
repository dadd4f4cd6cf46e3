package dev.capstan.transport.ssh;

import dev.capstan.Server;
import dev.capstan.transport.TransportException;
import dev.capstan.transport.TransportException.Reason;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.InterruptedByTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.SshException;

/**
 * Turns what goes wrong while connecting into one-line {@link TransportException}s that name the host and say what
 * to do: the user sees these, not MINA's exceptions.
 */
final class ConnectFailures {

    private final Identities identities;
    private final boolean passwordSet;
    private final Duration connectTimeout;

    ConnectFailures(Identities identities, SshSettings settings) {
        this.identities = identities;
        this.passwordSet = settings.password() != null;
        this.connectTimeout = settings.connectTimeout();
    }

    TransportException unknownHost(Server server, SshTarget target, Throwable cause) {
        return new TransportException(server, Reason.UNKNOWN_HOST,
                "cannot resolve host name " + target.host() + via(target), cause);
    }

    TransportException timedOut(Server server, SshTarget target, String doing) {
        return new TransportException(server, Reason.CONNECT_TIMEOUT, doing + " " + target.address() + via(target)
                + " timed out after " + seconds(connectTimeout) + " (connect_timeout)");
    }

    /** The TCP connection could not be made. */
    TransportException connectFailed(Server server, SshTarget target, Throwable error) {
        String where = "cannot connect to " + target.address() + via(target) + ": ";
        if (has(error, ConnectException.class)) {
            return new TransportException(server, Reason.REFUSED,
                    where + "connection refused (is sshd running on port " + target.port() + "?)", error);
        }
        if (has(error, UnresolvedAddressException.class) || has(error, UnknownHostException.class)) {
            return unknownHost(server, target, error);
        }
        if (has(error, SocketTimeoutException.class) || has(error, InterruptedByTimeoutException.class)) {
            return timedOut(server, target, "connecting to");
        }
        if (has(error, NoRouteToHostException.class)) {
            return new TransportException(server, Reason.OTHER, where + "no route to host", error);
        }
        return new TransportException(server, Reason.OTHER, where + describe(error), error);
    }

    /** Key exchange or authentication failed on a connected session. */
    TransportException loginFailed(Server server, SshTarget target, ClientSession session, Throwable error) {
        var hostKeyProblem = HostKeyVerifier.problem(session);
        if (hostKeyProblem.isPresent()) {
            return new TransportException(server, Reason.HOST_KEY, hostKeyProblem.get(), error);
        }
        if (noMoreAuthMethods(error)) {
            return new TransportException(server, Reason.AUTH, "authentication failed for " + target.user() + "@"
                    + target.address() + via(target) + ": the server accepted none of " + offered(target)
                    + untried(session.getAttribute(SignedFirstLogin.SERVER_METHODS)), error);
        }
        if (target.jump() != null && !session.isAuthenticated() && session.getServerKey() == null) {
            // Behind a jump host the TCP connect always succeeds locally; a tunnel that closes before the key
            // exchange means the jump host could not reach the target.
            return new TransportException(server, Reason.OTHER, "cannot connect to " + target.address() + via(target)
                    + ": " + target.jump().address() + " could not open a connection to it", error);
        }
        return new TransportException(server, Reason.OTHER, "cannot log in to " + target.address() + via(target)
                + ": " + describe(error), error);
    }

    /** Whether a login failed because the server accepted none of what was offered. */
    static boolean noMoreAuthMethods(Throwable error) {
        return error instanceof SshException e
                && e.getDisconnectCode() == SshConstants.SSH2_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE;
    }

    private String offered(SshTarget target) {
        List<String> methods = new ArrayList<>();
        List<String> keys = identities.describe(target);
        methods.add("publickey (" + (keys.isEmpty() ? "no keys found" : String.join(", ", keys)) + ")");
        if (passwordSet) {
            methods.add("password (ssh_password)");
        }
        return String.join(", ", methods);
    }

    /**
     * What the server would have taken that capstan did not try, as OpenSSH's "Permission denied (publickey,password)"
     * tells: nothing when it takes no other method, a hint when it takes a password and none is set.
     */
    private String untried(List<String> serverMethods) {
        if (serverMethods == null) {
            return "";
        }
        List<String> untried = new ArrayList<>();
        for (String method : serverMethods) {
            if (!method.matches("[A-Za-z0-9@._-]{1,64}")) {
                continue; // the server's words, printed: nothing that could be a terminal's escape sequence
            }
            boolean tried = method.equals("publickey")
                    || passwordSet && (method.equals("password") || method.equals("keyboard-interactive"));
            if (!tried) {
                untried.add(method);
            }
        }
        if (untried.isEmpty()) {
            return "";
        }
        boolean passwordWouldDo = !passwordSet
                && (untried.contains("password") || untried.contains("keyboard-interactive"));
        return "; it " + (serverMethods.contains("publickey") ? "also " : "only ") + "takes " + String.join(", ", untried)
                + (passwordWouldDo ? " (set the secret ssh_password to log in with a password)" : "");
    }

    private static String via(SshTarget target) {
        return target.jump() == null ? "" : " through " + target.jump().address();
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static String describe(Throwable error) {
        String message = error.getMessage();
        return message == null || message.isBlank() ? error.getClass().getSimpleName() : message;
    }

    private static boolean has(Throwable error, Class<? extends Throwable> type) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
