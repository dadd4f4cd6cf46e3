package dev.capstan.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.CommandFailedException;
import dev.capstan.event.EventSink;
import dev.capstan.testkit.SshTestFleet;
import dev.capstan.testkit.SshTestHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The deploy recipe over real SSH, against four embedded test hosts. */
class DeployOverSshTest {
    @TempDir
    Path dir;
    SshTestFleet fleet;

    @BeforeEach
    void startFleet() throws Exception {
        fleet = SshTestFleet.start(4);
    }

    @AfterEach
    void stopFleet() {
        fleet.close();
    }

    private DeployFixture fixture(java.util.function.Consumer<dev.capstan.Config> extra) throws Exception {
        List<String> specs = fleet.hosts().stream().map(SshTestHost::spec).toList();
        return new DeployFixture(dir, specs, SshSettingsForTests.transport(fleet.knownHostsFile(), fleet.identityFile(),
                Files.createDirectories(dir.resolve("home")), EventSink.NONE), extra);
    }

    @Test
    void deployRollbackCleanupAndLockCycleOverOneConnectionPerHost() throws Exception {
        DeployFixture f = fixture(cap -> cap.set("keep_releases", 2));
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        // one whole run, one TCP connection per host
        assertThat(fleet.hosts()).allMatch(h -> h.connectionsAccepted() == 1);
        String first = f.current(0);
        DeployFixture.nextSecond();
        Files.writeString(f.app.resolve("index.html"), "v2\n");
        assertThat(f.run("deploy")).isNull();
        for (int host = 0; host < 4; host++) {
            assertThat(f.deployTo(host).resolve("current/index.html")).hasContent("v2");
        }
        assertThat(f.run("deploy:rollback")).isNull();
        for (int host = 0; host < 4; host++) {
            assertThat(f.current(host)).isEqualTo(first);
        }
        DeployFixture.nextSecond();
        assertThat(f.run("deploy")).isNull();
        DeployFixture.nextSecond();
        assertThat(f.run("deploy")).isNull();
        assertThat(f.releases(0)).hasSize(2).contains(f.current(0));
        // a lock held by someone else stops the next deploy at once, on every host
        Files.writeString(f.deployTo(3).resolve("deploy.lock"), "t carol@ci since 2026-11-26T07:00:00Z (release x)\n");
        assertThat(f.run("deploy")).hasMessageContaining("locked by carol@ci");
        assertThat(f.deployTo(0).resolve("deploy.lock")).doesNotExist();
    }

    @Test
    void aFirstDeployNeedsNoSetup() throws Exception {
        DeployFixture f = fixture(cap -> cap.set("linked_dirs", List.of("log")));
        assertThat(f.deployTo(0)).doesNotExist();

        assertThat(f.run("deploy")).isNull();
        for (int host = 0; host < 4; host++) {
            assertThat(f.deployTo(host).resolve("current/index.html")).hasContent("v1");
            assertThat(f.deployTo(host).resolve("shared/log")).isDirectory();
        }
    }

    @Test
    void aFailureInUpdateCodeOnOneHostOfFourRollsBackAllFourOverSsh() throws Exception {
        DeployFixture f = fixture(cap -> { });
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        List<String> before = List.of(f.current(0), f.current(1), f.current(2), f.current(3));
        // the release is in place everywhere, then a step of update_code fails on the second host only
        String second = fleet.hosts().get(1).spec();
        DeployFixture failing = fixture(cap -> {
            cap.task("verify", ctx -> ctx.run(s -> s.spec().equals(second) ? "echo 'disk full' >&2; exit 1" : "true"));
            cap.after("deploy:update_code", "verify");
        });
        assertThat(failing.run("deploy")).isInstanceOf(CommandFailedException.class).hasMessageContaining("failed on 1 host");
        for (int host = 0; host < 4; host++) {
            assertThat(f.current(host)).isEqualTo(before.get(host));
            assertThat(f.releases(host)).containsExactly(before.get(host));
            assertThat(f.deployTo(host).resolve("deploy.lock")).doesNotExist();
        }
    }
}
