package dev.capstan.transport.ssh;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import dev.capstan.testkit.SshTestFleet;
import dev.capstan.testkit.SshTestHost;
import dev.capstan.transport.Command;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.TransportException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Settings for tests: HOME-independent, never touching the real {@code ~/.ssh} or ssh-agent. Variables start as
 * the fleet's known_hosts and identity with {@code ssh_config=none}; tests add or override more.
 */
final class Fixtures {

    private final Map<String, Object> variables = new HashMap<>();
    private final Path home;

    private Fixtures(Path home) {
        this.home = home;
        variables.put("ssh_config", "none");
    }

    /** Settings reaching every host of {@code fleet}; {@code home} stands in for the user's {@code ~/.ssh}. */
    static Fixtures forFleet(SshTestFleet fleet, Path home) {
        return new Fixtures(home)
                .set("ssh_known_hosts", fleet.knownHostsFile().toString())
                .set("ssh_identity", fleet.identityFile().toString());
    }

    /** Settings that reach no host: no known_hosts or identity of a fleet, {@code home} as {@code ~/.ssh}. */
    static Fixtures forFleetless(Path home) {
        return new Fixtures(home);
    }

    Fixtures set(String name, Object value) {
        variables.put(name, value);
        return this;
    }

    Fixtures unset(String name) {
        variables.remove(name);
        return this;
    }

    SshSettings settings() {
        return SshSettings.from(variables::get)
                .withUserKnownHosts(home.resolve("known_hosts"))
                .withUserSshDir(home)
                .withAgentSocket(null)
                .withGlobalKnownHosts(null);
    }

    static Server server(SshTestHost host) {
        return Server.parse(host.spec());
    }

    /** Why connecting to {@code host} with {@code settings} fails; fails the test if it connects. */
    static TransportException connectFailure(SshSettings settings, SshTestHost host) {
        Server server = server(host);
        try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, PassphrasePrompt.NONE)) {
            TransportException e = org.assertj.core.api.Assertions.catchThrowableOfType(TransportException.class,
                    () -> ssh.execute(server, Command.of("true"), OutputListener.IGNORE));
            org.assertj.core.api.Assertions.assertThat(e).as("connecting to " + server).isNotNull();
            return e;
        }
    }

    /** An event sink that keeps everything, for assertions on warnings. */
    static final class Events implements EventSink {
        final List<Event> all = new CopyOnWriteArrayList<>();

        @Override
        public void emit(Event event) {
            all.add(event);
        }

        List<String> logs(Event.Level level) {
            return all.stream()
                    .filter(e -> e instanceof Event.Log log && log.level() == level)
                    .map(e -> ((Event.Log) e).message())
                    .toList();
        }
    }
}
