/**
 * The SSH transport: one connection per server for the whole run, commands multiplexed over it as channels.
 *
 * <p>Public: {@link SshTransport} (the {@link dev.capstan.transport.Transport}), {@link SshSettings} (the variables
 * it reads), {@link HostKeyChecking} and {@link PassphrasePrompt}. Inside, one class per concern:
 *
 * <ul>
 * <li>Reaching a server: {@code TargetResolver} applies ssh config and {@code gateway} to give an {@code SshTarget};
 *     {@code Connector} opens and authenticates a connection (through a jump host's session if needed), with
 *     {@code ConnectFailures} turning what goes wrong into one-line errors; {@code ClientSetup} builds the one MINA
 *     client, whose login ({@code SignedFirstLogin}) offers the key signed in its first request.</li>
 * <li>Sharing connections: {@code ConnectionPool} keeps one {@code HostConnections} per target, which opens
 *     {@code Connection}s and leases their channel slots ({@code ChannelLimiter}, {@code ChannelLease}), keeping
 *     one {@code ExecChannel} per connection opened ahead for the next command.</li>
 * <li>Running: {@code RemoteCommand} runs one command on an {@code ExecChannel}, answering sudo's prompt
 *     ({@code PromptWatch}); with {@code ssh_persistent_shell}, {@code PersistentShell} runs commands one after another
 *     on a long-lived shell channel instead, parked in {@code HostConnections} between commands; {@code CommandOutput}
 *     and {@code LineSplitter} turn streams into lines, {@code MarkerScanner} finds prompts and end markers in them;
 *     {@code SftpTransfers} moves files.</li>
 * <li>Trust: {@code HostKeyVerifier} over {@code KnownHostsFile}s, recording with {@code KnownHostsAppender};
 *     keys from {@code Identities} and ssh-agent ({@code AgentConnector}, {@code AgentClient}). Both read their files
 *     ahead of the first connection, on another thread.</li>
 * <li>Crypto: {@code CryptoSetup} gives MINA the JDK's providers instead of Bouncy Castle's, with {@code JdkEd25519}
 *     for ssh-ed25519 keys; Bouncy Castle is registered only to decrypt encrypted PKCS#8 key files.</li>
 * </ul>
 */
package dev.capstan.transport.ssh;
