package dev.capstan.transport.kept;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.transport.Command;
import dev.capstan.transport.Stream;
import dev.capstan.transport.TransportException;
import dev.capstan.transport.ssh.HeldConnections;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What a run and its connection keeper say to each other. Each call (one command or transfer) has a socket of its own:
 * the run sends a {@link Call}, the keeper answers {@link Accepted} (or {@link Refused}, when nothing was done), then
 * output, notes and a prompt's question while the call runs, and ends with one of {@link Result}, {@link Done},
 * {@link Failed} or {@link Interrupted}. The run may send {@link Answer} and {@link Stop} meanwhile.
 */
sealed interface KeeperMessage {

    /** The first message of every call: what to do, and with which settings the run would have done it itself. */
    record Call(byte[] identity, Operation operation) implements KeeperMessage { }

    /**
     * The first and only message of a look at the keeper ({@code capstan keepers}), on a socket of its own, answered with
     * one {@link Report}. It carries no identity: whoever can reach the socket could make calls anyway, and the
     * directory it lies in is the user's alone. With {@code stop}, the keeper takes no call from then on and ends once
     * the calls it is doing have ended.
     */
    record Inquire(boolean stop) implements KeeperMessage { }

    /**
     * What a keeper is: its process, how long it stays once idle, how long it has been idle (zero while a call runs),
     * the calls it is doing, and the connections it holds.
     */
    record Report(long pid, Duration keep, Duration idle, int running, List<HeldConnections> held)
            implements KeeperMessage { }

    /** What a call does: one of the four {@link dev.capstan.transport.Transport} methods. */
    sealed interface Operation { }

    /** {@code prompt}'s answer is asked of the run with {@link Ask} when the prompt shows. */
    record Execute(Server server, Command command) implements Operation { }

    record Upload(Server server, Path local, String remote, Integer mode) implements Operation { }

    record Put(Server server, byte[] content, String remote, Integer mode) implements Operation { }

    record Download(Server server, String remote, Path local) implements Operation { }

    /** The answer to an {@link Ask}; {@code null} means there is none, and the command fails. */
    record Answer(String answer) implements KeeperMessage { }

    /** The run was interrupted (Ctrl-C): stop the command as the run itself would have. */
    record Stop() implements KeeperMessage { }

    /** The keeper has the call and is doing it. */
    record Accepted() implements KeeperMessage { }

    /** The keeper did nothing, for the reason given: a run that gets this may connect by itself. */
    record Refused(String reason) implements KeeperMessage { }

    record Line(Stream stream, String text) implements KeeperMessage {
        /**
         * About the memory the line takes while it waits to be written or handled: what both ends count against their
         * limits on output that is not read.
         */
        long weight() {
            return 16 + 2L * text.length();
        }
    }

    record Progress(String path, long done, long total) implements KeeperMessage { }

    /**
     * An event of the keeper's SSH layer ({@link Event.Log} or {@link Event.ConnectionOpened}); every call open when
     * it happened gets it, and {@code sequence} lets a run show it once.
     */
    record Note(long sequence, Event event) implements KeeperMessage { }

    /** The command printed the prompt: the run is to send an {@link Answer}. */
    record Ask() implements KeeperMessage { }

    /** Sent while a call runs, so that a run can tell a keeper that stopped answering from a long command. */
    record Alive() implements KeeperMessage { }

    record Result(int exitStatus, String stdout, List<String> stderrTail, Duration duration) implements KeeperMessage { }

    /** A transfer ended well. */
    record Done() implements KeeperMessage { }

    record Failed(TransportException.Reason reason, String message) implements KeeperMessage { }

    /** The call was stopped after a {@link Stop}. */
    record Interrupted() implements KeeperMessage { }
}
