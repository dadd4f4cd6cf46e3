/**
 * Embedded SSH hosts on {@code 127.0.0.1} for testing capstan and capstan recipes over real sockets.
 *
 * <p>{@link dev.capstan.testkit.SshTestHost} is one host, {@link dev.capstan.testkit.SshTestFleet} several at once,
 * and {@link dev.capstan.testkit.ClientKey} the key a client logs in with.
 */
package dev.capstan.testkit;
