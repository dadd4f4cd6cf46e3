/**
 * Connections kept open between runs ({@code ssh_keep_connections}), as Ansible's ControlPersist keeps them.
 *
 * <p>Public: {@link KeptConnections}, the {@link dev.capstan.transport.Transport} a run uses, and
 * {@link ConnectionKeeper}, the background process it starts. Inside: {@code KeeperAddress} names a keeper's socket by
 * the settings and the build, {@code KeeperLauncher} reaches or starts it, {@code KeeperMessage} and
 * {@code KeeperWire} are what the two say to each other over a Unix socket, one per call.
 */
package dev.capstan.transport.kept;
