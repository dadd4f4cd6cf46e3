package dev.capstan.transport;

/** Which output stream of a remote command a line came from. */
public enum Stream {
    STDOUT, STDERR
}
