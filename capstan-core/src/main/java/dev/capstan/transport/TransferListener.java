package dev.capstan.transport;

import dev.capstan.Server;

/** Progress of an upload or download, reported as bytes move. */
@FunctionalInterface
public interface TransferListener {
    TransferListener IGNORE = (server, path, done, total) -> { };

    /**
     * @param done  bytes transferred so far for this transfer
     * @param total bytes the transfer will move in all, or -1 when unknown
     */
    void progress(Server server, String path, long done, long total);
}
