package dev.capstan.transport.dryrun;

import dev.capstan.Server;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.TransferListener;
import dev.capstan.transport.Transport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The transport of {@code -n}: runs nothing and succeeds at once. The engine still reports every command
 * per host, so the output shows what would run; {@code capture} sees "" and {@code test} sees true.
 */
public final class DryRunTransport implements Transport {

    @Override
    public CommandResult execute(Server server, Command command, OutputListener output) {
        return new CommandResult(server, 0, "", List.of(), Duration.ZERO);
    }

    @Override
    public void upload(Server server, Path local, String remote, Integer mode, TransferListener progress) {
    }

    @Override
    public void put(Server server, byte[] content, String remote, Integer mode) {
    }

    @Override
    public void download(Server server, String remote, Path local, TransferListener progress) {
    }

    @Override
    public void close() {
    }
}
