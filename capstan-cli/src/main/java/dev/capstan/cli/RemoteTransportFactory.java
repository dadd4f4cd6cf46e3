package dev.capstan.cli;

import dev.capstan.event.EventSink;
import dev.capstan.model.Configuration;
import dev.capstan.transport.Transport;
import dev.capstan.transport.ssh.PassphrasePrompt;
import dev.capstan.transport.ssh.SshSettings;
import dev.capstan.transport.ssh.SshTransport;
import java.util.function.Supplier;

/** Creates the SSH transport from the recipe's variables, on first use. */
final class RemoteTransportFactory {
    private RemoteTransportFactory() {
    }

    /** @param passphrases asks for the passphrase of an encrypted key (the console holds its status line meanwhile) */
    static Supplier<Transport> forConfig(Configuration config, EventSink events, PassphrasePrompt passphrases) {
        return () -> new SshTransport(SshSettings.from(config.variables()::get), events, passphrases);
    }

}
