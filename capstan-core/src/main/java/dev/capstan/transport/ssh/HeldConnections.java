package dev.capstan.transport.ssh;

/**
 * What a transport holds open to one host: {@code user@host[:port]} (and its jump path), the open connections, and
 * the idle persistent shells on them.
 */
public record HeldConnections(String target, int connections, int idleShells) {
}
