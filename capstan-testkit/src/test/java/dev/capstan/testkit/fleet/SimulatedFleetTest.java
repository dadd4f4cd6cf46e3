package dev.capstan.testkit.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.util.buffer.Buffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.capstan.testkit.ClientKey;
import dev.capstan.testkit.fleet.sh.HostFs;

/** Fifty simulated hosts in one fleet, reached the way capstan reaches servers: known_hosts plus a key file. */
class SimulatedFleetTest {

    private static SimulatedFleet fleet;
    private static FleetClient client;

    @BeforeAll
    static void startFleet() throws IOException {
        fleet = SimulatedFleet.start(SimulatedFleet.Options.defaults().withHosts(50));
        client = new FleetClient(fleet);
    }

    @AfterAll
    static void stopFleet() {
        client.close();
        fleet.close();
    }

    @Test
    void everyHostRunsACommandBehindItsOwnVerifiedHostKey() throws Exception {
        List<FleetClient.Result> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<FleetClient.Result>> running = new ArrayList<>();
            for (FleetHost host : fleet.hosts()) {
                running.add(pool.submit(() -> {
                    try (ClientSession session = client.login(host)) {
                        return FleetClient.exec(session, "echo hi");
                    }
                }));
            }
            for (Future<FleetClient.Result> f : running) {
                results.add(f.get());
            }
        }
        assertThat(results).hasSize(50).allSatisfy(r -> assertThat(r).isEqualTo(new FleetClient.Result(0, "hi\n", "")));
        assertThat(fleet.hosts().stream().map(FleetHost::port).distinct()).hasSize(50);
        assertThat(fleet.hosts().stream().map(h -> h.hostKey().toString()).distinct()).hasSize(50);
        assertThat(fleet.host(0).commandsRun()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void theFilesDescribeEveryHost() throws IOException {
        List<String> known = Files.readAllLines(fleet.knownHostsFile());
        List<String> specs = Files.readAllLines(fleet.hostsFile());
        assertThat(known).hasSize(50);
        assertThat(specs).hasSize(50);
        FleetHost first = fleet.host(0);
        assertThat(known.get(0)).startsWith("[127.0.0.1]:" + first.port() + " ssh-ed25519 AAAA");
        assertThat(specs.get(0)).isEqualTo(System.getProperty("user.name") + "@127.0.0.1:" + first.port());
        assertThat(Files.readString(fleet.identityFile())).startsWith("-----BEGIN OPENSSH PRIVATE KEY-----");
        assertThat(Files.readString(fleet.sshConfigFile())).contains("UserKnownHostsFile " + fleet.knownHostsFile());
    }

    @Test
    void hostsAreSeparateMachines() throws IOException {
        FleetHost one = fleet.host(1);
        FleetHost two = fleet.host(2);
        try (ClientSession a = client.login(one); ClientSession b = client.login(two)) {
            assertThat(FleetClient.exec(a, "hostname; pwd; mkdir -p /srv/app && echo one > /srv/app/name").out())
                    .isEqualTo("host2\n/home/deploy\n");
            assertThat(FleetClient.exec(b, "hostname; cat /srv/app/name").status()).isEqualTo(1);
            assertThat(FleetClient.exec(a, "cat /srv/app/name").out()).isEqualTo("one\n");
        }
        assertThat(one.files().stat("/srv/app/name")).isNotNull();
        assertThat(two.files().stat("/srv/app/name")).isNull();
    }

    @Test
    void anUnsupportedCommandFailsWith127AndSaysSo() throws IOException {
        try (ClientSession session = client.login(fleet.host(3))) {
            FleetClient.Result r = FleetClient.exec(session, "git fetch origin");
            assertThat(r.status()).isEqualTo(127);
            assertThat(r.err()).isEqualTo("capstan-fleet: command not supported: git\n");
            assertThat(FleetClient.exec(session, "exit 9").status()).isEqualTo(9);
        }
    }

    @Test
    void stdinReachesTheCommand() throws IOException {
        try (ClientSession session = client.login(fleet.host(4))) {
            FleetClient.Result r = FleetClient.exec(session, "cat > /tmp/in && wc -c < /tmp/in && cat /tmp/in",
                    "payload\n".getBytes());
            assertThat(r).isEqualTo(new FleetClient.Result(0, "8\npayload\n", ""));
        }
    }

    @Test
    void channelsBeyondMaxSessionsAreRefusedAndTheConnectionSurvives() throws Exception {
        try (ClientSession session = client.login(fleet.host(5))) {
            List<ChannelExec> open = new ArrayList<>();
            try {
                for (int i = 0; i < 10; i++) {
                    ChannelExec channel = session.createExecChannel("cat"); // waits for stdin: holds the slot
                    channel.open().verify(FleetClient.TIMEOUT);
                    open.add(channel);
                }
                ChannelExec eleventh = session.createExecChannel("true");
                assertThatThrownBy(() -> eleventh.open().verify(FleetClient.TIMEOUT)).isInstanceOf(SshException.class);
            } finally {
                for (ChannelExec channel : open) {
                    channel.getInvertedIn().close(); // EOF: cat ends, the slot frees
                    channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), FleetClient.TIMEOUT);
                }
            }
            assertThat(FleetClient.exec(session, "echo still here").out()).isEqualTo("still here\n");
        }
    }

    @Test
    void aSignalStopsTheRunningCommandAsCapstanStopsItOnATimeout() throws Exception {
        FleetHost host = fleet.host(11);
        try (ClientSession session = client.login(host);
                ChannelExec channel = session.createExecChannel("sleep 5; touch /tmp/finished")) {
            channel.open().verify(FleetClient.TIMEOUT);
            Buffer request = session.createBuffer(SshConstants.SSH_MSG_CHANNEL_REQUEST, 32);
            request.putUInt(channel.getRecipient());
            request.putString("signal");
            request.putBoolean(false);
            request.putString("TERM");
            channel.writePacket(request);
            channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), FleetClient.TIMEOUT);
            assertThat(channel.getExitStatus()).isEqualTo(143);
            assertThat(host.files().stat("/tmp/finished")).isNull();
        }
    }

    @Test
    void onlyTheFleetsKeyLogsIn(@TempDir Path tmp) throws IOException {
        ClientKey stranger = ClientKey.generate(tmp);
        try (FleetClient wrongKey = new FleetClient(fleet.knownHostsFile(), stranger.privateKeyFile())) {
            assertThatThrownBy(() -> wrongKey.login(fleet.host(6))).isInstanceOf(SshException.class);
        }
    }

    @Test
    void aHostKeyNotInKnownHostsIsRejected(@TempDir Path tmp) throws IOException {
        Path otherHosts = Files.write(tmp.resolve("known_hosts"), List.of(
                Files.readAllLines(fleet.knownHostsFile()).get(7).replaceFirst("\\]:\\d+", "]:" + fleet.host(8).port())));
        try (FleetClient strict = new FleetClient(otherHosts, fleet.identityFile())) {
            assertThatThrownBy(() -> strict.login(fleet.host(8))).isInstanceOf(SshException.class);
        }
    }

    @Test
    void filesPreparedThroughTheApiAreThereForCommands() throws IOException {
        FleetHost host = fleet.host(9);
        host.files().mkdirs("/etc/app");
        try (var out = host.files().openWrite("/etc/app/config", HostFs.WriteMode.TRUNCATE)) {
            out.write("port=80\n".getBytes());
        }
        try (ClientSession session = client.login(host)) {
            assertThat(FleetClient.exec(session, "grep port /etc/app/config | cut -d= -f2").out()).isEqualTo("80\n");
        }
    }

    @Test
    void anInteractiveShellChannelRunsLineByLine() throws Exception {
        try (ClientSession session = client.login(fleet.host(10));
                var shell = session.createShellChannel()) {
            var out = new java.io.ByteArrayOutputStream();
            shell.setOut(out);
            shell.setErr(new java.io.ByteArrayOutputStream());
            shell.open().verify(FleetClient.TIMEOUT);
            try (var in = shell.getInvertedIn()) {
                in.write("cd /tmp\necho \"in $(pwd)\"; false\necho \"status $?\"\nexit 4\n".getBytes());
            }
            shell.waitFor(java.util.EnumSet.of(org.apache.sshd.client.channel.ClientChannelEvent.CLOSED),
                    FleetClient.TIMEOUT);
            assertThat(out.toString()).isEqualTo("in /tmp\nstatus 1\n");
            assertThat(shell.getExitStatus()).isEqualTo(4);
        }
    }

    @Test
    void spreadHostsListenOnTheirOwnLoopbackAddresses() throws IOException {
        try (SimulatedFleet spread = SimulatedFleet.start(SimulatedFleet.Options.defaults().withHosts(3).withSpread(true));
                FleetClient c = new FleetClient(spread)) {
            Set<String> addresses = new HashSet<>();
            spread.hosts().forEach(h -> addresses.add(h.address()));
            assertThat(addresses).containsExactlyInAnyOrder("127.0.1.1", "127.0.1.2", "127.0.1.3");
            try (ClientSession session = c.login(spread.host(1))) {
                assertThat(FleetClient.exec(session, "hostname").out()).isEqualTo("host2\n");
            }
        }
    }
}
