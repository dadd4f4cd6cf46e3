package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capstan.Server;
import dev.capstan.transport.TransportException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading {@code ~/.ssh/config}: once per run, safely from many threads. */
class SshConfigTest {

    @TempDir
    Path home;

    @Test
    void manyHostsResolvingAtOnceAllSeeTheirAliases() throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 2000; i++) { // a long file: a long read
            text.append("Host other-").append(i).append("\n  HostName 10.0.").append(i / 250).append('.')
                    .append(i % 250).append("\n");
        }
        text.append("Host web-*\n  HostName 127.0.0.1\n  Port 2222\n");
        Path config = Files.writeString(home.resolve("config"), text);
        // as a user's file is: written long ago (a file written just now is read afresh by every caller)
        Files.setLastModifiedTime(config, FileTime.from(Instant.now().minus(Duration.ofDays(1))));
        SshSettings settings = Fixtures.forFleetless(home).set("ssh_config", config.toString()).settings();

        for (int round = 0; round < 10; round++) {
            TargetResolver resolver = new TargetResolver(settings, new EventLog(event -> { }));
            List<SshTarget> targets = Concurrently.run(32, i -> resolver.resolve(Server.parse("web-" + i)));

            assertThat(targets).allSatisfy(t -> assertThat(t.address()).isEqualTo("127.0.0.1:2222"));
        }
    }

    @Test
    void aConfigThatCannotBeReadFailsEveryHostInsteadOfBeingSkipped() throws Exception {
        Path config = Files.createDirectory(home.resolve("config")); // not a readable file
        SshSettings settings = Fixtures.forFleetless(home).set("ssh_config", config.toString()).settings();
        TargetResolver resolver = new TargetResolver(settings, new EventLog(event -> { }));

        for (String alias : List.of("web-1", "web-2")) {
            assertThatThrownBy(() -> resolver.resolve(Server.parse(alias)))
                    .isInstanceOf(TransportException.class)
                    .hasMessageStartingWith("cannot work out how to reach " + alias + " from ssh config: ");
        }
    }
}
