package dev.capstan.deploy;

import dev.capstan.event.EventSink;
import dev.capstan.transport.Transport;
import dev.capstan.transport.ssh.PassphrasePrompt;
import dev.capstan.transport.ssh.SshSettings;
import dev.capstan.transport.ssh.SshTransport;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/** An SSH transport for tests: the given known_hosts and key, never the real ~/.ssh or agent. */
final class SshSettingsForTests {
    private SshSettingsForTests() {
    }

    static Supplier<Transport> transport(Path knownHosts, Path identity, Path home, EventSink events) {
        Map<String, Object> variables = new HashMap<>();
        variables.put("ssh_known_hosts", knownHosts.toString());
        variables.put("ssh_identity", identity.toString());
        variables.put("ssh_config", "none");
        return () -> new SshTransport(SshSettings.from(variables::get)
                .withUserKnownHosts(home.resolve("known_hosts"))
                .withUserSshDir(home)
                .withAgentSocket(null), events, PassphrasePrompt.NONE);
    }
}
