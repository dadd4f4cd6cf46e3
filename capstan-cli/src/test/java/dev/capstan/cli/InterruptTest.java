package dev.capstan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Ctrl-C, SIGTERM and SIGHUP on a real capstan process: the open transaction rolls back and capstan exits 1. */
class InterruptTest {
    /** Every capstan a test started: killed, with what it started, when the test is over (above all when it failed). */
    private final List<CapstanProcess> capstans = new ArrayList<>();

    @AfterEach
    void killWhatIsLeft() throws InterruptedException {
        for (CapstanProcess run : capstans) {
            run.close();
        }
    }

    /**
     * INT as Ctrl-C sends it; INT twice at once, as {@code timeout -s INT} sends it to capstan and its process group;
     * TERM, as a CI job's cancel, systemd or docker stop send it; HUP, as a closed terminal sends it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"INT", "INT INT", "TERM", "HUP"})
    void aSignalDuringATransactionRollsBackAndExitsOne(String signals, @TempDir Path dir) throws Exception {
        Path started = dir.resolve("started");
        Path rolledBack = dir.resolve("rolled-back");
        CapstanProcess run = startOnALocalServer(dir, "deploy", """
                cap.task("deploy", ctx -> ctx.transaction(() -> {
                    ctx.onRollback(() -> ctx.run("echo undone > %s"));
                    ctx.run("touch %s; sleep 30");
                }));
                """.formatted(rolledBack, started));
        Process capstan = run.process();
        waitFor(started, capstan);
        long signalled = System.nanoTime();
        signal(capstan, signals.split(" ")); // both INTs from one shell: well within the quarter second of one Ctrl-C
        assertThat(capstan.waitFor(20, TimeUnit.SECONDS)).as("capstan ended after Ctrl-C").isTrue();
        String err = run.stderr();
        String out = run.stdout();
        assertThat(capstan.exitValue()).as(err).isEqualTo(1);
        assertThat(Duration.ofNanos(System.nanoTime() - signalled)).isLessThan(Duration.ofSeconds(20));
        assertThat(rolledBack).hasContent("undone");
        assertThat(err).contains(switch (signals) {
            case "TERM" -> "terminated (SIGTERM): stopping commands and rolling back";
            case "HUP" -> "hung up (SIGHUP): stopping commands and rolling back";
            default -> "interrupted: stopping commands and rolling back";
        }).doesNotContain("aborted at once");
        assertThat(out).contains("ROLLBACK of deploy");
    }

    /** While the recipe loads no task runs and nothing can be rolled back, but the exit status is still 1, not 130. */
    @ParameterizedTest
    @ValueSource(strings = {"INT", "TERM"})
    void aSignalWhileTheRecipeLoadsExitsOne(String signal, @TempDir Path dir) throws Exception {
        Path loading = dir.resolve("loading");
        Path recipe = Files.writeString(dir.resolve("Capfile.java"), """
                import dev.capstan.*;

                public class Capfile implements Recipe {
                    @Override
                    public void define(Config cap) {
                        try {
                            java.nio.file.Files.createFile(java.nio.file.Path.of("%s"));
                            Thread.sleep(30_000);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                        cap.task("deploy", ctx -> { });
                    }
                }
                """.formatted(loading));
        CapstanProcess run = CapstanProcess.start(dir, recipe, List.of("deploy"));
        capstans.add(run);
        Process capstan = run.process();
        waitFor(loading, capstan);
        signal(capstan, signal);
        assertThat(capstan.waitFor(20, TimeUnit.SECONDS)).as("capstan ended").isTrue();

        assertThat(capstan.exitValue()).as(run.stderr()).isEqualTo(1);
        assertThat(run.stderr()).contains(signal.equals("TERM") ? "terminated (SIGTERM)" : "interrupted")
                .contains("while no task was running; nothing to roll back");
    }

    @Test
    void ctrlCDuringARollbackLetsEveryHandlerFinish(@TempDir Path dir) throws Exception {
        Path slowStarted = dir.resolve("slow-started");
        Path slowDone = dir.resolve("slow-done");
        Path firstDone = dir.resolve("first-done");
        CapstanProcess run = failingWithTwoHandlers(dir, "echo undone > " + firstDone,
                "touch " + slowStarted + "; sleep 2; echo undone > " + slowDone);
        Process capstan = run.process();
        waitFor(slowStarted, capstan);
        signal(capstan, "INT");
        assertThat(capstan.waitFor(20, TimeUnit.SECONDS)).as("capstan ended").isTrue();

        assertThat(capstan.exitValue()).as(run.stderr()).isEqualTo(1);
        assertThat(slowDone).as("the handler running at the Ctrl-C").hasContent("undone");
        assertThat(firstDone).as("the handler after it").hasContent("undone");
    }

    @Test
    void aSecondCtrlCAbortsAndListsTheHandlersNotRunToTheirEnd(@TempDir Path dir) throws Exception {
        Path slowStarted = dir.resolve("slow-started");
        CapstanProcess run = failingWithTwoHandlers(dir, "true", "touch " + slowStarted + "; sleep 30");
        Process capstan = run.process();
        waitFor(slowStarted, capstan);
        // the handler's `sleep 30` outlives capstan's abort (a terminal would send it the Ctrl-C too): killed at the end
        List<ProcessHandle> handler = capstan.descendants().toList();
        try {
            signal(capstan, "INT");
            Thread.sleep(600);
            signal(capstan, "INT");
            assertThat(capstan.waitFor(20, TimeUnit.SECONDS)).as("capstan ended").isTrue();

            assertThat(capstan.exitValue()).isEqualTo(1);
            assertThat(run.stderr()).contains("aborted at once; these rollback handlers did NOT run")
                    .contains("  not rolled back: deploy on here (was running)\n")
                    .contains("  not rolled back: deploy on here\n");
        } finally {
            handler.forEach(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void ctrlCDuringABlocksRollbackStopsTheOtherBlocksOnceItIsDone(@TempDir Path dir) throws Exception {
        Path rollbackStarted = dir.resolve("rollback-started");
        Path rolledBack = dir.resolve("rolled-back");
        Path siblingDone = dir.resolve("sibling-done");
        CapstanProcess run = startOnALocalServer(dir, "restart", """
                cap.task("restart", ctx -> ctx.parallelize(s -> {
                    s.run("a", c -> c.transaction(() -> {
                        c.onRollback(() -> c.run("touch %s; sleep 2; echo undone > %s"));
                        c.run("exit 1");
                    }));
                    s.run("b", c -> c.run("sleep 30 && touch %s"));
                }));
                """.formatted(rollbackStarted, rolledBack, siblingDone));
        Process capstan = run.process();
        waitFor(rollbackStarted, capstan);
        signal(capstan, "INT");
        assertThat(capstan.waitFor(20, TimeUnit.SECONDS)).as("capstan ended long before block b's sleep").isTrue();

        assertThat(capstan.exitValue()).isEqualTo(1);
        assertThat(rolledBack).as("block a's rollback, running at the Ctrl-C").hasContent("undone");
        assertThat(siblingDone).as("block b, stopped after the rollback").doesNotExist();
        assertThat(run.stderr()).doesNotContain("fail-fast");
    }

    @Test
    void workPutOutOfCtrlCsReachRunsToItsEndThenTheRunStops(@TempDir Path dir) throws Exception {
        Path started = dir.resolve("started");
        Path released = dir.resolve("released");
        Path after = dir.resolve("after");
        CapstanProcess run = startOnALocalServer(dir, "release", """
                cap.task("release", ctx -> {
                    ctx.uninterruptibly(() -> ctx.run("touch %s; sleep 2; echo released > %s"));
                    ctx.warn("lock released");
                    ctx.run("touch %s");
                });
                """.formatted(started, released, after));
        Process capstan = run.process();
        waitFor(started, capstan);
        signal(capstan, "INT");
        assertThat(capstan.waitFor(20, TimeUnit.SECONDS)).as("capstan ended").isTrue();

        assertThat(capstan.exitValue()).as(run.stderr()).isEqualTo(1);
        assertThat(released).as("the command running at the Ctrl-C").hasContent("released");
        assertThat(after).as("the next command, after the stop").doesNotExist();
    }

    /** capstan running a task that fails in a transaction with two rollback handlers (the second runs first). */
    private CapstanProcess failingWithTwoHandlers(Path dir, String first, String second) throws Exception {
        return startOnALocalServer(dir, "deploy", """
                cap.task("deploy", ctx -> ctx.transaction(() -> {
                    ctx.onRollback(() -> ctx.run("%s"));
                    ctx.onRollback(() -> ctx.run("%s"));
                    ctx.run("exit 5");
                }));
                """.formatted(first, second));
    }

    /** capstan running {@code task} of a recipe with one local server, "here", and the given task declarations. */
    private CapstanProcess startOnALocalServer(Path dir, String task, String declarations) throws Exception {
        Path recipe = Files.writeString(dir.resolve("Capfile.java"), """
                import dev.capstan.*;

                public class Capfile implements Recipe {
                    @Override
                    public void define(Config cap) {
                        cap.server("here").set("local", true);
                %s
                    }
                }
                """.formatted(declarations));
        CapstanProcess run = CapstanProcess.start(dir, recipe, List.of(task));
        capstans.add(run);
        return run;
    }

    /** Sends the signals one after the other, from one shell (its kill builtin): no process start between them. */
    private static void signal(Process process, String... signals) throws Exception {
        StringBuilder script = new StringBuilder();
        for (String signal : signals) {
            script.append("kill -").append(signal).append(" ").append(process.pid()).append("; ");
        }
        Process kill = new ProcessBuilder("sh", "-c", script.toString()).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).as("kill ended").isTrue();
        assertThat(kill.exitValue()).as("kill's exit status").isZero();
    }

    private static void waitFor(Path file, Process process) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(file)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("capstan never started the command (alive: " + process.isAlive() + ")");
            }
            Thread.sleep(20);
        }
    }
}
