package dev.capstan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.testkit.SshTestFleet;
import dev.capstan.testkit.SshTestHost;
import dev.capstan.transport.kept.Keepers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code capstan exec} where there is no recipe: the servers named with {@code --hosts}, as Ansible's ad hoc commands. */
class AdHocExecTest {

    @Test
    void execWithHostsNeedsNoRecipe(@TempDir Path dir) throws Exception {
        try (SshTestFleet fleet = SshTestFleet.start(2)) {
            String hosts = String.join(",", fleet.hosts().stream().map(SshTestHost::spec).toList());
            List<String> arguments = new ArrayList<>(List.of("exec", "--hosts", hosts,
                    "-s", "ssh_known_hosts=" + fleet.knownHostsFile(), "-s", "ssh_identity=" + fleet.identityFile(),
                    "-s", "ssh_config=none", "echo answer-$((6 * 7))"));
            try (CapstanProcess run = CapstanProcess.start(dir, List.of(), arguments)) {
                assertThat(run.exitWithin(60)).as(run.stderr()).isZero();
                assertThat(run.stdout().lines().filter(line -> line.endsWith("│ answer-42"))).hasSize(2);
                assertThat(run.stdout()).contains("hosts: 2 ok");
                assertThat(dir.resolve("log")).as("no log/ left where an ad hoc command ran").doesNotExist();
            }
        }
    }

    @Test
    void keptConnectionsServeTheNextRunUntilStopped(@TempDir Path dir) throws Exception {
        try (SshTestFleet fleet = SshTestFleet.start(2)) {
            String hosts = String.join(",", fleet.hosts().stream().map(SshTestHost::spec).toList());
            List<String> arguments = List.of("exec", "--hosts", hosts, "-s", "ssh_keep_connections=60",
                    "-s", "ssh_known_hosts=" + fleet.knownHostsFile(), "-s", "ssh_identity=" + fleet.identityFile(),
                    "-s", "ssh_config=none", "echo answer-$((6 * 7))");
            try {
                runTwiceThenStop(dir, fleet, arguments);
            } finally {
                Keepers.stop(dir.resolve("capstan")); // rather than outlive a test that failed half-way
            }
        }
    }

    private static void runTwiceThenStop(Path dir, SshTestFleet fleet, List<String> arguments) throws Exception {
        for (int run = 1; run <= 2; run++) {
            try (CapstanProcess capstan = CapstanProcess.start(dir, List.of(), arguments)) {
                assertThat(capstan.exitWithin(60)).as(capstan.stderr()).isZero();
                assertThat(capstan.stdout().lines().filter(line -> line.endsWith("│ answer-42"))).hasSize(2);
                assertThat(capstan.stderr()).as("run %d", run).isEmpty();
            }
        }
        // the second run found both hosts logged in
        assertThat(fleet.hosts()).allSatisfy(host -> assertThat(host.connectionsAccepted()).isEqualTo(1));
        assertThat(dir.resolve("capstan")).isDirectory();

        List<String> held = fleet.hosts().stream()
                .map(host -> "  " + host.user() + "@" + host.hostAddress() + ":" + host.port() + ": 1 connection")
                .sorted().toList();
        String pid;
        try (CapstanProcess keepers = CapstanProcess.start(dir, List.of(), List.of("keepers"))) {
            assertThat(keepers.exitWithin(60)).as(keepers.stderr()).isZero();
            List<String> lines = keepers.stdout().lines().toList();
            assertThat(lines.getFirst()).matches("keeper \\d+: 2 hosts, idle \\d+ s of 60 s");
            assertThat(lines.subList(1, lines.size())).isEqualTo(held);
            pid = lines.getFirst().split("[ :]")[1];
        }
        try (CapstanProcess stop = CapstanProcess.start(dir, List.of(), List.of("keepers", "--stop"))) {
            assertThat(stop.exitWithin(60)).as(stop.stderr()).isZero();
            assertThat(stop.stdout().lines().toList().getFirst()).isEqualTo("stopped keeper " + pid + " (2 hosts)");
        }
        for (int i = 0; i < 100 && fleet.hosts().stream().anyMatch(host -> host.openConnections() > 0); i++) {
            Thread.sleep(50); // the host counts a connection closed a moment after the keeper has closed it
        }
        assertThat(fleet.hosts()).allSatisfy(host -> assertThat(host.openConnections()).isZero());
        try (CapstanProcess keepers = CapstanProcess.start(dir, List.of(), List.of("keepers"))) {
            assertThat(keepers.exitWithin(60)).as(keepers.stderr()).isZero();
            assertThat(keepers.stdout()).isEqualTo("no kept connections: no keeper listens in "
                    + dir.resolve("capstan") + "\n");
        }
    }

    @Test
    void aRunInAnotherNetworkNamespaceDoesNotReachTheHostsOfAKeeperStartedInThisOne(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(new ProcessBuilder("unshare", "-n", "true").start().waitFor() == 0,
                "unshare -n: network namespaces (root)");
        try (SshTestFleet fleet = SshTestFleet.start(1)) {
            List<String> arguments = List.of("exec", "--hosts", fleet.host(0).spec(), "-s", "ssh_keep_connections=60",
                    "-s", "ssh_known_hosts=" + fleet.knownHostsFile(), "-s", "ssh_identity=" + fleet.identityFile(),
                    "-s", "ssh_config=none", "-s", "connect_timeout=5", "echo answer-$((6 * 7))");
            try {
                try (CapstanProcess here = CapstanProcess.start(dir, List.of(), arguments)) {
                    assertThat(here.exitWithin(60)).as(here.stderr()).isZero();
                }
                // 127.0.0.1 in a namespace of its own (its loopback down) is not the host this keeper reaches
                try (CapstanProcess elsewhere = CapstanProcess.start(dir, List.of("unshare", "-n"), List.of(),
                        arguments)) {
                    assertThat(elsewhere.exitWithin(60)).as(elsewhere.stderr()).isEqualTo(1);
                    assertThat(elsewhere.stdout()).doesNotContain("answer-42");
                }
                assertThat(fleet.host(0).connectionsAccepted()).isEqualTo(1);
                assertThat(fleet.host(0).commandsRun()).hasSize(1);
            } finally {
                Keepers.stop(dir.resolve("capstan")); // both: a socket path is reached from every namespace
            }
        }
    }

    @Test
    void anUnquotedCommandIsToldToBeQuoted(@TempDir Path dir) throws Exception {
        try (CapstanProcess run = CapstanProcess.start(dir, List.of(), List.of("exec", "ls", "-ld", "/tmp"))) {
            assertThat(run.exitWithin(60)).isEqualTo(2);
            assertThat(run.stderr()).isEqualTo("capstan: Unknown options: '-ld', '/tmp' (the command to run is one"
                    + " argument: quote it, as in capstan exec 'ls -ld /tmp')\n");
        }
        try (CapstanProcess run = CapstanProcess.start(dir, List.of(), List.of("exec", "--rolse", "web", "uptime"))) {
            assertThat(run.exitWithin(60)).isEqualTo(2);
            assertThat(run.stderr()).startsWith("capstan: Unknown options: '--rolse'").endsWith(
                    " (capstan exec --help lists the options)\n");
        }
    }

    @Test
    void execWithoutHostsOrRecipeSaysHowToNameThem(@TempDir Path dir) throws Exception {
        try (CapstanProcess run = CapstanProcess.start(dir, List.of(), List.of("--log", "none", "exec", "uptime"))) {
            assertThat(run.exitWithin(60)).isEqualTo(2);
            assertThat(run.stderr()).isEqualTo("capstan: exec: no Capfile.java here to take the servers from; name them"
                    + " with --hosts (capstan exec --hosts web1,web2 'uptime'), or the recipe with -f FILE\n");
        }
    }
}
