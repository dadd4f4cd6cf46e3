package dev.capstan.cli;

import dev.capstan.event.EventSink;
import dev.capstan.model.Configuration;
import dev.capstan.transport.Transport;
import dev.capstan.transport.kept.KeptConnections;
import dev.capstan.transport.ssh.PassphrasePrompt;
import dev.capstan.transport.ssh.SshSettings;
import dev.capstan.transport.ssh.SshTransport;
import java.util.function.Supplier;

/** Creates the SSH transport from the recipe's variables, on first use: kept connections with ssh_keep_connections. */
final class RemoteTransportFactory {
    private RemoteTransportFactory() {
    }

    /** @param passphrases asks for the passphrase of an encrypted key (the console holds its status line meanwhile) */
    static Supplier<Transport> forConfig(Configuration config, EventSink events, PassphrasePrompt passphrases) {
        return () -> {
            SshSettings settings = SshSettings.from(config.variables()::get);
            return settings.keepConnections() != null
                    ? new KeptConnections(settings, events, passphrases)
                    : new SshTransport(settings, events, passphrases);
        };
    }

}
