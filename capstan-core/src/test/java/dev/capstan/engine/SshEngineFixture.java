package dev.capstan.engine;

import dev.capstan.Config;
import dev.capstan.model.Configuration;
import dev.capstan.testkit.SshTestFleet;
import dev.capstan.testkit.SshTestHost;
import dev.capstan.transport.ssh.PassphrasePrompt;
import dev.capstan.transport.ssh.SshSettings;
import dev.capstan.transport.ssh.SshTransport;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Runs recipes against a fleet of embedded SSH hosts over real sockets, recording events. */
final class SshEngineFixture {
    final SshTestFleet fleet;
    final RecordingSink events = new RecordingSink();
    private final Path home;
    private final Map<String, Object> sshVariables = new HashMap<>();

    SshEngineFixture(SshTestFleet fleet, Path home) {
        this.fleet = fleet;
        this.home = home;
        sshVariables.put("ssh_known_hosts", fleet.knownHostsFile().toString());
        sshVariables.put("ssh_identity", fleet.identityFile().toString());
        sshVariables.put("ssh_config", "none");
    }

    SshEngineFixture ssh(String name, Object value) {
        sshVariables.put(name, value);
        return this;
    }

    String spec(int host) {
        return fleet.host(host).spec();
    }

    SshTestHost host(int index) {
        return fleet.host(index);
    }

    /** Runs {@code tasks} of a recipe whose servers the recipe declares itself (use {@link #spec}). */
    void run(Consumer<Config> recipe, String... tasks) {
        Configuration config = new Configuration();
        config.define("recipe", recipe::accept);
        config.validate();
        SshSettings settings = SshSettings.from(sshVariables::get).withUserKnownHosts(home.resolve("known_hosts"))
                .withUserSshDir(home).withAgentSocket(null);
        try (Engine engine = new Engine(config, RunOptions.DEFAULT, () -> new SshTransport(settings, events, PassphrasePrompt.NONE), events)) {
            engine.run(List.of(tasks));
        }
    }
}
