package dev.capstan.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.CommandFailedException;
import dev.capstan.event.EventSink;
import dev.capstan.testkit.openssh.OpenSshHosts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: the deploy recipe against real OpenSSH servers on 127.0.0.2-4, started by
 * {@code .ci/e2e-sshd} (./run-tests does that as root). Skipped, loudly, when they are not running.
 */
class OpenSshDeployTest {
    @TempDir
    Path dir;
    OpenSshHosts hosts;
    Path base;

    @BeforeEach
    void requireOpenSsh() throws Exception {
        Optional<OpenSshHosts> found = OpenSshHosts.discover();
        if (found.isEmpty()) {
            System.err.println("WARNING: " + OpenSshHosts.unavailableReason());
        }
        Assumptions.assumeTrue(found.isPresent(), OpenSshHosts::unavailableReason);
        hosts = found.get();
        base = Path.of("/home", hosts.user(), "e2e-" + UUID.randomUUID());
    }

    @AfterEach
    void removeDeployments() throws Exception {
        if (base != null && Files.exists(base)) {
            Process rm = new ProcessBuilder("rm", "-rf", base.toString()).start();
            org.assertj.core.api.Assertions.assertThat(rm.waitFor(60, java.util.concurrent.TimeUnit.SECONDS))
                    .as("rm -rf %s ended", base).isTrue();
            org.assertj.core.api.Assertions.assertThat(rm.exitValue()).as("rm -rf %s", base).isZero();
        }
    }

    private DeployFixture fixture(java.util.function.Consumer<dev.capstan.Config> extra) throws Exception {
        List<String> specs = hosts.hostSpecs();
        return new DeployFixture(dir, specs, SshSettingsForTests.transport(hosts.knownHostsFile(), hosts.identityFile(),
                Files.createDirectories(dir.resolve("home")), EventSink.NONE), extra,
                i -> base.resolve(specs.get(i).replaceAll(".*@|:.*", "")).resolve("shop"));
    }

    /**
     * On hosts that have never seen capstan: no deploy:setup first. Then eachServer checks each host's own release
     * (the three servers share one file system: each block also says which server it reached, by $SSH_CONNECTION).
     */
    @Test
    void aFirstDeployOnFreshHostsNeedsNoSetupAndEachServerChecksEachHost() throws Exception {
        java.util.Set<String> reached = java.util.concurrent.ConcurrentHashMap.newKeySet();
        DeployFixture f = fixture(cap -> cap.task("verify", ctx -> ctx.eachServer(c -> {
            String host = c.servers().get(0).host();
            if (!c.test("test -f REVISION", o -> o.within("~/" + base.getFileName() + "/" + host + "/shop/current"))) {
                throw new IllegalStateException("no complete release on " + c.servers().get(0).label());
            }
            String server = c.capture("echo $SSH_CONNECTION | cut -d' ' -f3");
            if (!server.equals(host)) {
                throw new IllegalStateException("the block of " + host + " ran on " + server);
            }
            reached.add(server);
        })));
        assertThat(f.deployTo(0)).doesNotExist();

        assertThat(f.run("deploy", "verify")).isNull();
        for (int host = 0; host < 3; host++) {
            assertThat(f.deployTo(host).resolve("current/index.html")).hasContent("v1");
        }
        assertThat(reached).hasSize(3);
    }

    @Test
    void deployRollbackCleanupAndFailureOnRealOpenSsh() throws Exception {
        // the app must be readable by the remote user: it is uploaded, so only this JVM reads it
        DeployFixture f = fixture(cap -> cap.set("keep_releases", 2));
        assertThat(f.run("deploy:setup", "deploy:check", "deploy")).isNull();
        String first = f.current(0);
        for (int host = 0; host < 3; host++) {
            assertThat(f.deployTo(host).resolve("current/index.html")).hasContent("v1");
            assertThat(f.deployTo(host).resolve("current/REVISION")).exists();
        }
        DeployFixture.nextSecond();
        Files.writeString(f.app.resolve("index.html"), "v2\n");
        assertThat(f.run("deploy")).isNull();
        assertThat(f.deployTo(2).resolve("current/index.html")).hasContent("v2");
        assertThat(f.run("deploy:rollback")).isNull();
        for (int host = 0; host < 3; host++) {
            assertThat(f.current(host)).isEqualTo(first);
        }
        // a failure on one host, after the release is in place everywhere, rolls back all three
        List<String> releasesBefore = f.releases(0);
        DeployFixture failing = fixture(cap -> {
            cap.task("verify", ctx -> ctx.run(s -> s.label().equals("127.0.0.3:2222") ? "echo 'disk full' >&2; exit 1" : "true"));
            cap.after("deploy:update_code", "verify");
        });
        assertThat(failing.run("deploy"))
                .isInstanceOf(CommandFailedException.class).hasMessageContaining("failed on 1 host: 127.0.0.3:2222");
        for (int host = 0; host < 3; host++) {
            assertThat(f.current(host)).isEqualTo(first);
            assertThat(f.releases(host)).isEqualTo(releasesBefore);
            assertThat(f.deployTo(host).resolve("deploy.lock")).doesNotExist();
        }
        DeployFixture.nextSecond();
        assertThat(f.run("deploy", "deploy:cleanup")).isNull();
        assertThat(f.releases(0)).hasSize(2).contains(f.current(0));
    }
}
