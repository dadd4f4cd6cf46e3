package dev.capstan.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capstan.CommandFailedException;
import dev.capstan.OnError;
import dev.capstan.ParallelizeException;
import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.testkit.SshTestFleet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Task options, parallel and parallelize over real SSH, against embedded hosts. */
class OverSshTest {
    @TempDir
    Path home;
    SshTestFleet fleet;
    SshEngineFixture f;

    @BeforeEach
    void start() throws Exception {
        fleet = SshTestFleet.start(3);
        f = new SshEngineFixture(fleet, home);
    }

    @AfterEach
    void stop() {
        fleet.close();
    }

    @Test
    void tenBlocksOnOneHostAreTenChannelsOnOneConnection() {
        // every command waits until all ten are running at once, so ten must be open together
        String rendezvous = "touch \"$HOME/block-$$\"; i=0; while [ $(ls \"$HOME\" | grep -c '^block-') -lt 10 ]; do"
                + " i=$((i+1)); [ $i -gt 400 ] && exit 1; sleep 0.05; done";
        f.run(cap -> {
            cap.server(f.spec(0), "app");
            cap.task("t", ctx -> ctx.parallelize(s -> {
                for (int i = 0; i < 10; i++) {
                    s.run(c -> c.run(rendezvous));
                }
            }));
        }, "t");
        assertThat(f.host(0).connectionsAccepted()).isEqualTo(1);
        assertThat(f.host(0).peakChannels()).isEqualTo(10);
    }

    @Test
    void blocksOnSeveralHostsShareOneConnectionPerHost() {
        f.run(cap -> {
            cap.server(f.spec(0), "web");
            cap.server(f.spec(1), "web");
            cap.server(f.spec(2), "daemon");
            cap.namespace("web", w -> w.task("restart", t -> t.roles("web"), ctx -> ctx.run("echo web")));
            cap.namespace("daemons", d -> d.task("restart", t -> t.roles("daemon"), ctx -> ctx.run("echo daemons")));
            cap.task("restart_all", ctx -> ctx.parallelize(s -> {
                for (int i = 0; i < 4; i++) {
                    s.run(c -> c.invoke("web:restart"));
                    s.run(c -> c.invoke("daemons:restart"));
                }
            }));
        }, "restart_all");
        assertThat(fleet.hosts()).allMatch(h -> h.connectionsAccepted() == 1);
        assertThat(f.events.output()).filteredOn(l -> l.endsWith(": web")).hasSize(8);
    }

    @Test
    void parallelRunsEveryMatchingBranchOnAHostAtOnceEachOnItsOwnChannel() {
        // each branch waits (at most 10 s) for the other's file, so both must run at the same time
        String first = "touch first; i=0; until [ -e second ]; do i=$((i+1)); [ $i -gt 200 ] && exit 7; sleep 0.05; done";
        String second = "touch second; i=0; until [ -e first ]; do i=$((i+1)); [ $i -gt 200 ] && exit 7; sleep 0.05; done";
        f.run(cap -> {
            cap.server(f.spec(0), "web");
            cap.server(f.spec(1), "db");
            cap.task("t", ctx -> ctx.parallel(p -> {
                p.when(Server.in("web"), first);
                p.when(Server.in("web"), second);
                p.otherwise("touch otherwise");
            }));
        }, "t");
        assertThat(f.host(0).root().resolve("first")).exists();
        assertThat(f.host(0).root().resolve("second")).exists();
        assertThat(f.host(0).root().resolve("otherwise")).doesNotExist();
        assertThat(f.host(0).connectionsAccepted()).isEqualTo(1);
        assertThat(f.host(0).peakChannels()).as("channels open at once (one more may be opened ahead)").isGreaterThanOrEqualTo(2);
        assertThat(f.host(1).commandsRun()).containsExactly("touch otherwise");
        assertThat(f.host(1).root().resolve("first")).doesNotExist();
    }

    @Test
    void failFastEndsTheRemoteSleep() throws Exception {
        String marker = "sleep 30.4711";
        assertThatThrownBy(() -> f.run(cap -> {
            cap.server(f.spec(0), "app");
            cap.task("t", ctx -> ctx.parallelize(s -> {
                s.failFast();
                s.run("sleeper", c -> c.run(marker));
                s.run("failer", c -> {
                    for (int i = 0; i < 500 && !running(marker); i++) {
                        Thread.sleep(20);
                    }
                    if (!running(marker)) {
                        throw new IllegalStateException("the remote sleep never started");
                    }
                    throw new IllegalStateException("deploy check failed");
                });
            }));
        }, "t")).isInstanceOf(ParallelizeException.class).hasMessageContaining("failer (task t on")
                .hasMessageContaining(": deploy check failed")
                .hasMessageContaining("sleeper (task t on " + f.spec(0).substring(f.spec(0).indexOf('@') + 1)
                        + "): cancelled (fail-fast)");
        // cancelled, not waited for: the host's process is gone long before its 30 s are up
        for (int i = 0; i < 250 && running(marker); i++) {
            Thread.sleep(20);
        }
        assertThat(running(marker)).as("the remote `%s` still runs", marker).isFalse();
    }

    /** What a pty request shows an embedded host's command: MINA exports the terminal type and size the client asked for (it has no real tty). */
    private static final String TERMINAL = "echo \"$TERM $COLUMNS $LINES\"";

    @Test
    void thePtyOptionRequestsATerminalForTheCommand() {
        List<String> seen = new java.util.ArrayList<>();
        f.run(cap -> {
            cap.server(f.spec(0), "app");
            cap.task("t", ctx -> {
                seen.add(ctx.capture(TERMINAL, o -> o.pty()));
                seen.add(ctx.capture(TERMINAL));
            });
        }, "t");
        assertThat(seen.get(0)).as("with pty()").isEqualTo("xterm 80 24");
        assertThat(seen.get(1)).as("without").isNotEqualTo(seen.get(0));
    }

    @Test
    void sudoRunsOnAPty() throws Exception {
        // a stand-in sudo that runs what follows "--": the embedded host has no real one
        Path bin = Files.createDirectories(home.resolve("bin"));
        Path sudo = Files.writeString(bin.resolve("sudo"), "#!/bin/sh\nwhile [ \"$1\" != -- ]; do shift; done\nshift\nexec \"$@\"\n");
        Files.setPosixFilePermissions(sudo, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path out = home.resolve("terminal");
        f.run(cap -> {
            cap.server(f.spec(0), "app");
            cap.task("t", ctx -> ctx.sudo(TERMINAL + " > " + out, o -> o.env("PATH", bin + ":" + System.getenv("PATH"))));
        }, "t");
        assertThat(out).hasContent("xterm 80 24");
    }

    @Test
    void theTimeoutOptionStopsALongCommandOnTheHost() throws Exception {
        String sleep = "sleep 10.317";
        assertThatThrownBy(() -> f.run(cap -> {
            cap.server(f.spec(0), "app");
            cap.task("t", ctx -> ctx.run(sleep, o -> o.timeout(Duration.ofMillis(500))));
        }, "t")).isInstanceOf(CommandFailedException.class)
                .hasMessageContaining("`" + sleep + "` on 127.0.0.1:" + f.host(0).port() + " did not finish within 500 ms and was stopped");
        assertThat(f.events.of(Event.CommandFailed.class)).singleElement()
                .satisfies(e -> assertThat(e.reason()).contains("did not finish within 500 ms"));
        // the host's process is gone, not left running
        for (int i = 0; i < 250 && running(sleep); i++) {
            Thread.sleep(20);
        }
        assertThat(running(sleep)).as("%s still running on the host", sleep).isFalse();
    }

    /** The embedded hosts run commands as local processes, so the process table shows what runs there. */
    private static boolean running(String commandLine) {
        return ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().map(c -> c.endsWith(commandLine)).orElse(false));
    }

    @Test
    void onErrorContinueDropsTheFailedHostOverSsh() {
        List<List<String>> remaining = new java.util.ArrayList<>();
        assertThatThrownBy(() -> f.run(cap -> {
            for (int i = 0; i < 3; i++) {
                cap.server(f.spec(i), "app");
            }
            String bad = fleet.host(1).spec();
            cap.task("t", o -> o.onError(OnError.CONTINUE), ctx -> {
                ctx.run(s -> s.spec().equals(bad) ? "exit 4" : "true");
                remaining.add(ctx.servers().stream().map(Server::spec).toList());
                ctx.run("echo still here");
            });
        }, "t")).hasMessageContaining("went on without 1 host that failed under onError(CONTINUE)");
        assertThat(remaining.get(0)).containsExactly(fleet.host(0).spec(), fleet.host(2).spec());
        assertThat(f.events.output()).hasSize(2);
    }

    @Test
    void maxHostsLimitsHowManyServersRunAtOnce() {
        String wait = "sleep 0.2";
        f.run(cap -> {
            for (int i = 0; i < 3; i++) {
                cap.server(f.spec(i), "app");
            }
            cap.task("t", o -> o.maxHosts(1), ctx -> ctx.run(wait));
        }, "t");
        // batches of one: no two hosts ran the command at the same time
        List<Event> steps = f.events.all().stream()
                .filter(e -> e instanceof Event.CommandStarted || e instanceof Event.CommandFinished).toList();
        for (int i = 0; i < steps.size(); i += 2) {
            assertThat(steps.get(i)).isInstanceOf(Event.CommandStarted.class);
            assertThat(steps.get(i + 1)).isInstanceOf(Event.CommandFinished.class);
        }
        assertThat(steps).hasSize(6);
    }

    @Test
    void inSequenceRunsTheBodyHostAfterHost() {
        List<String> order = new java.util.ArrayList<>();
        f.run(cap -> {
            for (int i = 0; i < 3; i++) {
                cap.server(f.spec(i), "app");
            }
            cap.task("t", o -> o.inSequence(Duration.ZERO), ctx -> {
                order.add(ctx.capture("echo $PWD").strip());
            });
        }, "t");
        assertThat(order).containsExactly(fleet.host(0).root().toString(), fleet.host(1).root().toString(), fleet.host(2).root().toString());
    }

    @Test
    void failuresNameEveryHostOverSsh() {
        assertThatThrownBy(() -> f.run(cap -> {
            for (int i = 0; i < 3; i++) {
                cap.server(f.spec(i), "app");
            }
            cap.task("t", ctx -> ctx.run("echo nope >&2; exit 2"));
        }, "t")).isInstanceOf(CommandFailedException.class)
                .satisfies(e -> assertThat(((CommandFailedException) e).failures()).hasSize(3)
                        .allSatisfy(h -> {
                            assertThat(h.exitStatus()).isEqualTo(2);
                            assertThat(h.stderrTail()).containsExactly("nope");
                        }));
    }
}
