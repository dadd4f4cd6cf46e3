package dev.capstan.engine;

import static dev.capstan.testing.LocalProcesses.awaitEnded;
import static dev.capstan.testing.LocalProcesses.pid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capstan.CancelledException;
import dev.capstan.ConfigException;
import dev.capstan.ParallelizeException;
import dev.capstan.Server;
import dev.capstan.event.Event;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParallelizeTest {
    private final List<String> trace = Collections.synchronizedList(new ArrayList<>());

    /** Blocks that wait for each other prove they run at the same time, whatever the clock says. */
    private static void rendezvous(CountDownLatch latch) {
        latch.countDown();
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the other blocks never started: blocks did not run concurrently");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancelledException("interrupted");
        }
    }

    /** Waits for {@code latch}, at most 10 s. */
    private static void await(CountDownLatch latch) throws InterruptedException {
        if (!latch.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the other block never got there");
        }
    }

    /** Waits until {@code condition} holds, at most {@code limit}; whether it held. */
    private static boolean within(Duration limit, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    @Test
    void blocksOfAChunkRunConcurrentlyEachWithItsOwnContext() {
        CountDownLatch allIn = new CountDownLatch(3);
        EngineFixture f = new EngineFixture(cap -> cap.task("t", ctx -> ctx.parallelize(s -> {
            for (int i = 0; i < 3; i++) {
                s.run(c -> {
                    trace.add("context " + System.identityHashCode(c));
                    rendezvous(allIn);
                });
            }
        })));
        f.run("t");
        assertThat(trace).hasSize(3).doesNotHaveDuplicates();
        // every block started before any block finished: overlapping start/end events
        List<Event> blockEvents = f.events.all().stream()
                .filter(e -> e instanceof Event.BlockStarted || e instanceof Event.BlockFinished).toList();
        assertThat(blockEvents.subList(0, 3)).allMatch(e -> e instanceof Event.BlockStarted);
        assertThat(f.events.of(Event.Log.class)).extracting(Event.Log::message).contains("Running 3 blocks in chunks of 10");
    }

    @Test
    void blocksInheritTheCallersTaskServersAndVariables() {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        EngineFixture f = new EngineFixture(cap -> {
            cap.server("web1", "web");
            cap.server("db1", "db");
            cap.set("color", "blue");
            cap.task("t", t -> t.roles("web"), ctx -> ctx.parallelize(s -> s.run(c -> {
                seen.add(c.task() + " " + c.servers().stream().map(Server::host).toList() + " " + c.fetch("color"));
                c.run("hostname");
            })));
        });
        f.dryRun("t");
        assertThat(seen).containsExactly("t [web1] blue");
        assertThat(f.events.of(Event.CommandStarted.class)).singleElement()
                .satisfies(e -> assertThat(e.servers()).extracting(Server::host).containsExactly("web1"));
    }

    @Test
    void chunkSizeComesFromTheArgumentThenTheVariable() {
        AtomicInteger maxConcurrent = new AtomicInteger();
        AtomicInteger running = new AtomicInteger();
        EngineFixture f = new EngineFixture(cap -> {
            cap.set("parallelize_thread_count", 3);
            cap.task("by_var", ctx -> ctx.parallelize(s -> {
                for (int i = 0; i < 7; i++) {
                    s.run(c -> {
                        maxConcurrent.accumulateAndGet(running.incrementAndGet(), Math::max);
                        Thread.sleep(20);
                        running.decrementAndGet();
                    });
                }
            }));
            cap.task("by_arg", ctx -> ctx.parallelize(2, s -> {
                for (int i = 0; i < 5; i++) {
                    s.run(c -> { });
                }
            }));
        });
        f.run("by_var");
        assertThat(maxConcurrent.get()).isLessThanOrEqualTo(3);
        assertThat(f.events.of(Event.ChunkStarted.class)).extracting(Event.ChunkStarted::blocks).containsExactly(3, 3, 1);
        f.run("by_arg");
        assertThat(f.events.of(Event.Log.class)).extracting(Event.Log::message)
                .contains("Running 5 blocks in chunks of 2", "Running batch 3 of 3: block 5");
    }

    @Test
    void aChunkSizeThatIsNotAPositiveIntegerIsAClearError() {
        for (Object bad : List.of(0, -1, "ten", 2.5)) {
            EngineFixture f = new EngineFixture(cap -> {
                cap.set("parallelize_thread_count", bad);
                cap.task("t", ctx -> ctx.parallelize(s -> s.run(c -> trace.add("ran"))));
            });
            assertThatThrownBy(() -> f.run("t")).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("parallelize: chunk size must be a positive integer")
                    .hasMessageContaining("parallelize_thread_count");
        }
        EngineFixture f = new EngineFixture(cap -> cap.task("t", ctx -> ctx.parallelize(0, s -> s.run(c -> { }))));
        assertThatThrownBy(() -> f.run("t")).hasMessage("parallelize: chunk size must be a positive integer, got 0");
        assertThat(trace).isEmpty();
    }

    @Test
    void noBlocksIsALoggedNoOp() {
        EngineFixture f = new EngineFixture(cap -> cap.task("t", ctx -> ctx.parallelize(s -> { })));
        f.run("t");
        assertThat(f.events.of(Event.Log.class)).extracting(Event.Log::message).containsExactly("parallelize: no blocks to run");
    }

    @Test
    void afterAFailureInChunkOneChunkTwoNeverStarts() {
        EngineFixture f = new EngineFixture(cap -> cap.task("t", ctx -> ctx.parallelize(1, s -> {
            s.run("first", c -> {
                throw new IllegalStateException("first failed");
            });
            s.run("second", c -> trace.add("second ran"));
        })));
        assertThatThrownBy(() -> f.run("t")).isInstanceOf(ParallelizeException.class)
                .hasMessageContaining("1 of 2 blocks failed")
                .hasMessageContaining("first (task t): first failed");
        assertThat(trace).isEmpty();
        assertThat(f.events.of(Event.ChunkStarted.class)).hasSize(1);
        assertThat(f.events.of(Event.ParallelizeFinished.class)).singleElement().satisfies(e -> assertThat(e.notStarted()).isEqualTo(1));
    }

    @Test
    void theRestOfTheChunkFinishesThenEveryBlockAndTheCallerRollBackOnceEach() {
        CountDownLatch bothIn = new CountDownLatch(2);
        CountDownLatch failing = new CountDownLatch(1);
        EngineFixture f = new EngineFixture(cap -> {
            cap.task("update", ctx -> ctx.transaction(() -> {
                ctx.onRollback(() -> trace.add("undo caller"));
                ctx.parallelize(s -> {
                    s.run("sibling", c -> c.transaction(() -> {
                        c.onRollback(() -> trace.add("undo sibling"));
                        rendezvous(bothIn);
                        await(failing); // the failing block is about to throw; this one still runs
                        // a parallelize that did not wait for the rest of the chunk would roll back now: give it the time
                        within(Duration.ofSeconds(1), () -> trace.size() > 1);
                        trace.add("sibling finished");
                    }));
                    s.run("failing", c -> c.transaction(() -> {
                        c.onRollback(() -> trace.add("undo failing"));
                        rendezvous(bothIn);
                        trace.add("failing throws");
                        failing.countDown();
                        throw new IllegalStateException("block failed");
                    }));
                });
            }));
        });
        assertThatThrownBy(() -> f.run("update")).isInstanceOf(ParallelizeException.class)
                .satisfies(e -> assertThat(((ParallelizeException) e).failures()).extracting(ParallelizeException.BlockFailure::name)
                        .containsExactly("failing"));
        // the sibling, still running when the other block failed, finished; then every block and the caller were rolled back
        assertThat(trace).containsExactly("failing throws", "sibling finished", "undo failing", "undo sibling", "undo caller");
        List<Event> order = f.events.all().stream()
                .filter(e -> e instanceof Event.BlockFinished || e instanceof Event.BlockRollback).toList();
        assertThat(order).extracting(e -> e.getClass().getSimpleName() + " " + (e instanceof Event.BlockFinished b ? b.name()
                : ((Event.BlockRollback) e).name())).containsExactly("BlockFinished failing", "BlockFinished sibling",
                "BlockRollback failing", "BlockRollback sibling");
    }

    @Test
    void aFailureInALaterChunkRollsBackEveryBlockOfEveryChunkRunSoFarAndTheCallerOnceEach() {
        EngineFixture f = new EngineFixture(cap -> cap.task("update", ctx -> ctx.transaction(() -> {
            ctx.onRollback(() -> trace.add("undo caller"));
            ctx.parallelize(2, s -> {
                s.run("a1", c -> c.onRollback(() -> trace.add("undo a1")));
                s.run("a2", c -> c.transaction(() -> c.onRollback(() -> trace.add("undo a2")))); // committed its own
                s.run("b1", c -> c.onRollback(() -> trace.add("undo b1")));
                s.run("b2", c -> c.onRollback(() -> trace.add("undo b2")));
                s.run("c1", c -> {
                    c.onRollback(() -> trace.add("undo c1"));
                    throw new IllegalStateException("c1 failed");
                });
                s.run("c2", c -> c.onRollback(() -> trace.add("undo c2")));
                s.run("d1", c -> trace.add("d1 ran"));
            });
        })));
        assertThatThrownBy(() -> f.run("update")).isInstanceOf(ParallelizeException.class)
                .hasMessageStartingWith("parallelize: 1 of 7 blocks failed; every block run so far was rolled back");
        // chunks 1 and 2 had succeeded long before chunk 3 failed: their blocks are rolled back too, latest first
        assertThat(trace).containsExactly("undo c2", "undo c1", "undo b2", "undo b1", "undo a2", "undo a1", "undo caller");
        assertThat(f.events.of(Event.BlockRollback.class)).extracting(Event.BlockRollback::name)
                .containsExactly("c2", "c1", "b2", "b1", "a2", "a1");
    }

    @Test
    void noHandlerRunsTwiceWhenTheCallersTransactionCatchesTheError() {
        EngineFixture f = new EngineFixture(cap -> cap.task("t", ctx -> {
            ctx.transaction(() -> {
                ctx.onRollback(() -> trace.add("undo caller"));
                try {
                    ctx.parallelize(s -> {
                        s.run(c -> c.onRollback(() -> trace.add("undo ok block")));
                        s.run(c -> {
                            c.onRollback(() -> trace.add("undo bad block"));
                            throw new IllegalStateException("bad");
                        });
                    });
                } catch (ParallelizeException e) {
                    trace.add("caught");
                    throw e;
                }
            });
        }));
        assertThatThrownBy(() -> f.run("t")).isInstanceOf(ParallelizeException.class);
        assertThat(trace).containsExactlyInAnyOrder("undo bad block", "undo ok block", "undo caller", "caught");
        assertThat(trace.indexOf("undo caller")).isLessThan(trace.indexOf("caught"));
        assertThat(trace).doesNotHaveDuplicates();
    }

    @Test
    void aBlockThatRollsBackWithoutThrowingCountsAsFailed() {
        EngineFixture f = new EngineFixture(cap -> cap.task("t", ctx -> ctx.parallelize(1, s -> {
            s.run("swallows", c -> {
                try {
                    c.transaction(() -> {
                        c.onRollback(() -> trace.add("undo swallows"));
                        throw new IllegalStateException("inner");
                    });
                } catch (IllegalStateException ignored) {
                    trace.add("swallowed");
                }
            });
            s.run("later", c -> trace.add("later ran"));
        })));
        assertThatThrownBy(() -> f.run("t")).isInstanceOf(ParallelizeException.class).hasMessageContaining("swallows (task t): rolled back");
        assertThat(trace).containsExactly("undo swallows", "swallowed");
    }

    @Test
    void successfulBlocksJoinTheCallersTransactionForALaterFailure() {
        EngineFixture f = new EngineFixture(cap -> cap.task("t", ctx -> ctx.transaction(() -> {
            ctx.parallelize(s -> s.run(c -> c.onRollback(() -> trace.add("undo block"))));
            throw new IllegalStateException("after parallelize");
        })));
        assertThatThrownBy(() -> f.run("t")).hasMessage("after parallelize");
        assertThat(trace).containsExactly("undo block");
    }

    @Test
    void aBlockInvokingAnUnknownTaskFailsAndIsNamed() {
        EngineFixture f = new EngineFixture(cap -> {
            cap.namespace("web", w -> w.task("restart", ctx -> { }));
            cap.task("t", ctx -> ctx.parallelize(s -> {
                s.run(c -> c.invoke("web:restart"));
                s.run(c -> c.invoke("web:restrat"));
            }));
        });
        assertThatThrownBy(() -> f.run("t")).isInstanceOf(ParallelizeException.class)
                .hasMessageContaining("block 2 (task t): unknown task 'web:restrat'; did you mean 'web:restart'?");
    }

    @Test
    void theFailureNamesTheInnermostTaskAndItsServers() {
        EngineFixture f = new EngineFixture(cap -> {
            cap.server("web1", "web");
            cap.namespace("web", w -> w.task("restart", t -> t.roles("web"), ctx -> {
                throw new IllegalStateException("spin failed");
            }));
            cap.task("t", ctx -> ctx.parallelize(s -> s.run(c -> c.invoke("web:restart"))));
        });
        assertThatThrownBy(() -> f.dryRun("t")).isInstanceOf(ParallelizeException.class)
                .hasMessageContaining("block 1 (task web:restart on web1): spin failed");
    }

    @Test
    void nestedParallelizeWorks() {
        EngineFixture f = new EngineFixture(cap -> cap.task("t", ctx -> ctx.parallelize(2, s -> {
            for (int i = 0; i < 2; i++) {
                int outer = i;
                s.run(c -> c.parallelize(2, inner -> {
                    for (int j = 0; j < 2; j++) {
                        int n = j;
                        inner.run(cc -> trace.add(outer + "." + n));
                    }
                }));
            }
        })));
        f.run("t");
        assertThat(trace).containsExactlyInAnyOrder("0.0", "0.1", "1.0", "1.1");
    }

    @Test
    void aNestedParallelizeOutsideATransactionIsRolledBackWithItsBlock() {
        CountDownLatch outer2Failed = new CountDownLatch(1);
        EngineFixture f = new EngineFixture(cap -> {
            cap.task("inner_tx", ctx -> ctx.transaction(() -> ctx.onRollback(() -> trace.add("undo inner_tx"))));
            cap.task("t", ctx -> ctx.parallelize(s -> {
                s.run("outer1", c -> c.parallelize(inner -> {
                    // outer1's blocks are still running when outer2 fails, and commit afterwards
                    inner.run("in1", cc -> {
                        await(outer2Failed);
                        cc.transaction(() -> cc.onRollback(() -> trace.add("undo in1")));
                    });
                    inner.run("in2", cc -> {
                        await(outer2Failed);
                        cc.invoke("inner_tx");
                    });
                }));
                s.run("outer2", c -> {
                    outer2Failed.countDown();
                    throw new IllegalStateException("outer2 failed");
                });
            }));
        });
        assertThatThrownBy(() -> f.run("t")).isInstanceOf(ParallelizeException.class);
        assertThat(trace).containsExactlyInAnyOrder("undo in1", "undo inner_tx");
    }

    @Test
    void theFailureSaysWhatTheRollbackCameTo() {
        EngineFixture nothing = new EngineFixture(cap -> cap.task("t", ctx -> ctx.parallelize(s -> {
            s.run("a", c -> { });
            s.run("b", c -> {
                throw new IllegalStateException("b failed");
            });
        })));
        assertThatThrownBy(() -> nothing.run("t")).hasMessageStartingWith(
                "parallelize: 1 of 2 blocks failed; no block run so far had anything to roll back");

        CountDownLatch bFailed = new CountDownLatch(1);
        EngineFixture failing = new EngineFixture(cap -> cap.task("t", ctx -> ctx.parallelize(s -> {
            s.run("a", c -> c.transaction(() -> {
                await(bFailed); // still running when b fails
                c.onRollback(() -> trace.add("undo a"));
                c.onRollback(() -> {
                    throw new IllegalStateException("cannot undo");
                });
            }));
            s.run("b", c -> {
                bFailed.countDown();
                throw new IllegalStateException("b failed");
            });
        })));
        assertThatThrownBy(() -> failing.run("t")).hasMessageStartingWith(
                "parallelize: 1 of 2 blocks failed; rolling back the blocks run so far, 1 of 2 rollback handlers failed");
        assertThat(trace).containsExactly("undo a");
    }

    @Test
    void slidingWindowStartsTheNextBlockAsSoonAsOneFinishes() throws Exception {
        // block 1 blocks until block 3 has run; with chunks of 2 that would never happen
        CountDownLatch thirdRan = new CountDownLatch(1);
        EngineFixture f = new EngineFixture(cap -> cap.task("t", ctx -> ctx.parallelize(2, s -> {
            s.slidingWindow();
            s.run("slow", c -> {
                if (!thirdRan.await(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("block 3 did not start while block 1 was running");
                }
            });
            s.run("quick", c -> { });
            s.run("third", c -> thirdRan.countDown());
        })));
        f.run("t");
        assertThat(f.events.of(Event.BlockFinished.class)).allMatch(e -> e.failure() == null);
    }

    @Test
    void failFastCancelsRunningSiblingsAndEndsTheirProcesses(@TempDir Path dir) throws Exception {
        // each sleeper is a shell waiting for a child of its own; the failer fails once every child runs
        Path onServer = dir.resolve("on-server.pid");
        Path locally = dir.resolve("locally.pid");
        Path tested = dir.resolve("tested.pid");
        EngineFixture f = new EngineFixture(cap -> {
            cap.server("here").set("local", true);
            cap.task("t", ctx -> ctx.parallelize(s -> {
                s.failFast();
                s.run("sleeper", c -> c.run("sleep 30 & echo $! > " + onServer + "; wait"));
                s.run("local sleeper", c -> c.runLocally("sleep 30 & echo $! > " + locally + "; wait"));
                s.run("tester", c -> c.test("sleep 30 & echo $! > " + tested + "; wait"));
                s.run("failer", c -> {
                    pid(onServer);
                    pid(locally);
                    pid(tested);
                    throw new IllegalStateException("failer failed");
                });
            }));
        });
        assertThatThrownBy(() -> f.run("t")).isInstanceOf(ParallelizeException.class)
                .hasMessageContaining("failer (task t on here): failer failed")
                .hasMessageContaining("sleeper (task t on here): cancelled (fail-fast)")
                .hasMessageContaining("local sleeper (task t on here): cancelled (fail-fast)")
                .hasMessageContaining("tester (task t on here): cancelled (fail-fast)");
        assertThat(f.events.of(Event.CommandFailed.class)).extracting(Event.CommandFailed::reason).containsOnly("interrupted");
        // the sleeps ended with their shells, long before their time: cancelled, not waited for
        awaitEnded(pid(onServer));
        awaitEnded(pid(locally));
        awaitEnded(pid(tested));
    }




    @Test
    void dryRunShowsTheChunkScheduleAndTheRollbackPlan() {
        EngineFixture f = new EngineFixture(cap -> {
            cap.server("web1", "web");
            cap.server("jobs1", "daemon");
            cap.namespace("web", w -> w.task("restart", t -> t.roles("web"), ctx -> {
                ctx.onRollback(() -> ctx.run("script/spin --previous"));
                ctx.run("script/spin");
            }));
            cap.namespace("daemons", d -> d.task("restart", t -> t.roles("daemon"), ctx -> {
                ctx.onRollback(() -> ctx.run("script/daemons restart --previous"));
                ctx.run("script/daemons restart");
            }));
            cap.task("restart_all", ctx -> ctx.transaction(() -> ctx.parallelize(1, s -> {
                s.run("web", c -> c.invoke("web:restart"));
                s.run("daemons", c -> c.invoke("daemons:restart"));
            })));
        });
        f.dryRun("restart_all");
        assertThat(f.events.of(Event.Log.class)).extracting(Event.Log::message).contains(
                "Running 2 blocks in chunks of 1", "Running batch 1 of 2: web", "Running batch 2 of 2: daemons",
                "rollback plan: daemons: 1 handler", "rollback plan: web: 1 handler");
        List<Event.CommandStarted> commands = f.events.of(Event.CommandStarted.class);
        assertThat(commands).extracting(Event.CommandStarted::line).containsExactly(
                "script/spin", "script/daemons restart", "script/daemons restart --previous", "script/spin --previous");
        assertThat(commands.get(2).servers()).extracting(Server::host).containsExactly("jobs1");
    }

    @Test
    void everyBlockEmitsStartAndEndEvents() {
        EngineFixture f = new EngineFixture(cap -> cap.task("t", ctx -> ctx.parallelize(s -> {
            s.run("a", c -> { });
            s.run("b", c -> {
                throw new IllegalStateException("b broke");
            });
        })));
        assertThatThrownBy(() -> f.run("t")).isInstanceOf(ParallelizeException.class);
        assertThat(f.events.of(Event.BlockStarted.class)).extracting(Event.BlockStarted::name).containsExactlyInAnyOrder("a", "b");
        Map<String, String> ends = new java.util.HashMap<>();
        f.events.of(Event.BlockFinished.class).forEach(e -> ends.put(e.name(), String.valueOf(e.failure())));
        assertThat(ends).containsEntry("a", "null").containsEntry("b", "b broke");
    }
}
