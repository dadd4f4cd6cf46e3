package dev.capstan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.testkit.SshTestFleet;
import dev.capstan.testkit.SshTestHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * capstan killed with SIGKILL in the middle of a deploy, over SSH to embedded hosts: the next deploy
 * reports the stale lock and how to clear it, current is still a complete release, and cleanup removes
 * the release the killed deploy left behind.
 */
class KilledDeployTest {
    /** Every capstan the test started: killed, with what it started, when the test is over (above all when it failed). */
    private final List<CapstanProcess> capstans = new ArrayList<>();

    @AfterEach
    void killWhatIsLeft() throws InterruptedException {
        for (CapstanProcess run : capstans) {
            run.close();
        }
    }

    @Test
    void aKilledDeployLeavesAStaleLockAndACompleteCurrent(@TempDir Path dir) throws Exception {
        try (SshTestFleet fleet = SshTestFleet.start(2)) {
            Path started = dir.resolve("paused");
            Path app = Files.createDirectories(dir.resolve("app"));
            Files.writeString(app.resolve("index.html"), "v1\n");
            StringBuilder servers = new StringBuilder();
            for (SshTestHost host : fleet.hosts()) {
                servers.append("        cap.server(\"").append(host.spec()).append("\", \"app\").set(\"deploy_to\", \"")
                        .append(host.root().resolve("shop")).append("\");\n");
            }
            Path recipe = Files.writeString(dir.resolve("Capfile.java"), """
                    import dev.capstan.*;

                    public class Capfile implements Recipe {
                        @Override
                        public void define(Config cap) {
                            cap.load("deploy");
                            cap.set("application", "shop");
                            cap.set("repository", "%s");
                    %s
                            cap.task("pause", ctx -> {
                                if (ctx.fetch("pause", false)) {
                                    java.nio.file.Files.writeString(java.nio.file.Path.of("%s"), "paused");
                                    Thread.sleep(60_000);
                                }
                            });
                            cap.before("deploy:symlink", "pause");
                        }
                    }
                    """.formatted(app, servers, started));
            List<String> ssh = List.of("-s", "ssh_known_hosts=" + fleet.knownHostsFile(), "-s", "ssh_identity=" + fleet.identityFile(),
                    "-s", "ssh_config=none");

            assertThat(capstan(dir, recipe, ssh, "deploy:setup", "deploy").exitWithin(120)).isZero();
            String good = current(fleet.host(0));
            Thread.sleep(1100 - System.currentTimeMillis() % 1000);

            List<String> paused = new ArrayList<>(ssh);
            paused.addAll(List.of("-s", "pause=true"));
            Process victim = capstan(dir, recipe, paused, "deploy").process();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(started)) {
                assertThat(victim.isAlive()).as("the deploy reached its pause").isTrue();
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(20);
            }
            victim.destroyForcibly(); // SIGKILL: no rollback, no unlock
            assertThat(victim.waitFor(10, TimeUnit.SECONDS)).as("the killed deploy ended").isTrue();

            for (SshTestHost host : fleet.hosts()) {
                assertThat(current(host)).isEqualTo(good);
                assertThat(host.root().resolve("shop/current/REVISION")).exists();
                assertThat(host.root().resolve("shop/deploy.lock")).exists();
                assertThat(releases(host)).hasSize(2);
            }

            CapstanProcess next = capstan(dir, recipe, ssh, "deploy");
            assertThat(next.exitWithin(120)).isEqualTo(1);
            String err = next.stderr();
            assertThat(err).contains("deploy is locked on 2 of 2 servers", "locked by ", "since ",
                    "capstan deploy:unlock -s force_unlock=true");

            List<String> force = new ArrayList<>(ssh);
            force.addAll(List.of("-s", "force_unlock=true"));
            assertThat(capstan(dir, recipe, force, "deploy:unlock").exitWithin(120)).isZero();
            CapstanProcess cleanup = capstan(dir, recipe, ssh, "deploy:cleanup");
            assertThat(cleanup.exitWithin(120)).isZero();
            String out = cleanup.stdout();
            assertThat(out).contains("never made current");
            for (SshTestHost host : fleet.hosts()) {
                assertThat(releases(host)).containsExactly(good);
                assertThat(current(host)).isEqualTo(good);
            }
        }
    }

    private static String current(SshTestHost host) throws IOException {
        return Files.readSymbolicLink(host.root().resolve("shop/current")).getFileName().toString();
    }

    private static List<String> releases(SshTestHost host) throws IOException {
        try (Stream<Path> list = Files.list(host.root().resolve("shop/releases"))) {
            return list.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d{14}")).sorted().toList();
        }
    }

    private CapstanProcess capstan(Path dir, Path recipe, List<String> options, String... tasks) throws IOException {
        List<String> arguments = new ArrayList<>(options);
        arguments.addAll(List.of(tasks));
        CapstanProcess run = CapstanProcess.start(dir, recipe, arguments);
        capstans.add(run);
        return run;
    }
}
