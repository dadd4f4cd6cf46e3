package dev.capstan.transport;

import dev.capstan.Server;
import java.nio.file.Path;

/**
 * Runs commands and moves files on one kind of server connection: SSH, local processes, or a dry-run
 * printer. Implementations are safe for use by many threads at once; each call concerns one server and
 * blocks until it is done, so the engine fans out by calling from many (virtual) threads.
 */
public interface Transport extends AutoCloseable {

    /**
     * Runs {@code command} on {@code server}, sending each output line to {@code output} as it arrives.
     *
     * @return how the command ended; a non-zero exit status is a result, not an exception
     * @throws TransportException   when the server cannot be reached, the connection is lost before an
     *                              exit status arrives, or the command times out
     * @throws InterruptedException when the calling thread is interrupted; the remote command is ended
     */
    CommandResult execute(Server server, Command command, OutputListener output) throws InterruptedException;

    /** Copies a local file or directory (recursively) to {@code remote}; {@code mode} as octal, or null. */
    void upload(Server server, Path local, String remote, Integer mode, TransferListener progress) throws InterruptedException;

    /** Writes {@code content} to the remote file {@code remote}; {@code mode} as octal, or null. */
    void put(Server server, byte[] content, String remote, Integer mode) throws InterruptedException;

    /** Copies the remote file or directory {@code remote} to {@code local}. */
    void download(Server server, String remote, Path local, TransferListener progress) throws InterruptedException;

    /** Closes every connection this transport opened. */
    @Override
    void close();
}
