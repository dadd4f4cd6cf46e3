package dev.capstan.transport;

import dev.capstan.Server;

/** Receives a command's output one whole line at a time, never a fragment of a line. */
@FunctionalInterface
public interface OutputListener {
    OutputListener IGNORE = (server, stream, line) -> { };

    void line(Server server, Stream stream, String line);
}
