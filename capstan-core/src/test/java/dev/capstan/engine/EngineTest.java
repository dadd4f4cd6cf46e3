package dev.capstan.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capstan.CapstanException;
import dev.capstan.CommandFailedException;
import dev.capstan.ConfigException;
import dev.capstan.OnError;
import dev.capstan.Server;
import dev.capstan.Shell;
import dev.capstan.UnknownTaskException;
import dev.capstan.event.Event;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineTest {
    private final List<String> trace = Collections.synchronizedList(new ArrayList<>());

    @Test
    void callbacksFireAroundEveryExecutionInRegistrationOrder() {
        EngineFixture f = new EngineFixture(cap -> {
            cap.task("check", ctx -> trace.add("check"));
            cap.task("notify", ctx -> trace.add("notify"));
            cap.task("restart", ctx -> trace.add("restart"));
            cap.task("deploy", ctx -> {
                trace.add("deploy");
                ctx.invoke("restart");
                ctx.invoke("restart");
            });
            cap.before("restart", "check");
            cap.before("restart", ctx -> trace.add("inline-before"));
            cap.after("restart", "notify");
            cap.onStart("check");
            cap.onStart(ctx -> trace.add("inline-start"));
            cap.onFinish("notify");
            cap.onFinish(ctx -> trace.add("inline-finish"));
        });
        f.run("deploy");
        assertThat(trace).containsExactly(
                "check", "inline-start",                            // on start (top-level only)
                "deploy",
                "check", "inline-before", "restart", "notify",      // every execution
                "check", "inline-before", "restart", "notify",
                "notify", "inline-finish");                         // on finish
    }

    @Test
    void callbacksOnANamespaceAndItsDefaultTaskRunInRegistrationOrder() {
        EngineFixture f = new EngineFixture(cap -> {
            cap.namespace("deploy", d -> d.task("default", ctx -> trace.add("DEPLOY")));
            cap.before("deploy", ctx -> trace.add("b1"));
            cap.before("deploy:default", ctx -> trace.add("b2"));
            cap.before("deploy", ctx -> trace.add("b3"));
            cap.after("deploy", ctx -> trace.add("a1"));
            cap.after("deploy:default", ctx -> trace.add("a2"));
        });
        f.run("deploy");
        assertThat(trace).containsExactly("b1", "b2", "b3", "DEPLOY", "a1", "a2");
    }

    @Test
    void afterCallbacksDoNotRunWhenTheTaskFails() {
        EngineFixture f = new EngineFixture(cap -> {
            cap.task("notify", ctx -> trace.add("notify"));
            cap.task("deploy", ctx -> {
                throw new IllegalStateException("boom");
            });
            cap.after("deploy", "notify");
        });
        assertThatThrownBy(() -> f.run("deploy")).hasMessage("boom");
        assertThat(trace).isEmpty();
        Event.TaskFinished finished = f.events.of(Event.TaskFinished.class).get(0);
        assertThat(finished.succeeded()).isFalse();
        assertThat(finished.failure()).isEqualTo("boom");
    }

    @Test
    void unknownTopLevelTaskFailsBeforeAnythingRuns() {
        EngineFixture f = new EngineFixture(cap -> cap.task("deploy", ctx -> trace.add("deploy")));
        assertThatThrownBy(() -> f.run("deploy", "deplyo")).isInstanceOf(UnknownTaskException.class)
                .hasMessage("unknown task 'deplyo'; did you mean 'deploy'?");
        assertThat(trace).isEmpty();
    }

    // ---- host selection ----------------------------------------------------------------------

    private EngineFixture fleet() {
        return new EngineFixture(cap -> {
            cap.server("web1", "web").set("primary", true);
            cap.server("web2", "web");
            cap.server("db1", "db").set("no_release", true);
            cap.task("everywhere", ctx -> ctx.run("true"));
            cap.task("web_task", t -> t.roles("web"), ctx -> ctx.run("true"));
            cap.task("host_task", t -> t.hosts("db1"), ctx -> ctx.run("true"));
            cap.task("primary_web", t -> t.roles("web").only("primary"), ctx -> ctx.run("true"));
            cap.task("releases", t -> t.except("no_release"), ctx -> ctx.run("true"));
        });
    }

    private static List<String> targets(EngineFixture f) {
        return f.events.of(Event.CommandStarted.class).get(0).servers().stream().map(Server::host).toList();
    }

    @Test
    void taskRolesAndHostsChooseServers() {
        EngineFixture f = fleet();
        f.dryRun("everywhere");
        assertThat(targets(f)).containsExactly("web1", "web2", "db1");
        f = fleet();
        f.dryRun("web_task");
        assertThat(targets(f)).containsExactly("web1", "web2");
        f = fleet();
        f.dryRun("host_task");
        assertThat(targets(f)).containsExactly("db1");
    }

    @Test
    void onlyAndExceptNarrowOnServerProperties() {
        EngineFixture f = fleet();
        f.dryRun("primary_web");
        assertThat(targets(f)).containsExactly("web1");
        f = fleet();
        f.dryRun("releases");
        assertThat(targets(f)).containsExactly("web1", "web2");
    }

    @Test
    void commandLineRolesBeatTaskRolesButNotTaskHosts() {
        RunOptions roles = new RunOptions(true, List.of(), List.of("db"));
        EngineFixture f = fleet();
        f.run(roles, "web_task");
        assertThat(targets(f)).containsExactly("db1");
        f = fleet();
        f.run(new RunOptions(true, List.of(), List.of("web")), "host_task");
        assertThat(targets(f)).containsExactly("db1");
    }

    @Test
    void commandLineHostsBeatEverything() {
        EngineFixture f = fleet();
        f.run(new RunOptions(true, List.of("web2"), List.of("db")), "host_task");
        assertThat(targets(f)).containsExactly("web2");
        f = fleet();
        f.run(new RunOptions(true, List.of("other.example.com"), List.of()), "everywhere");
        assertThat(targets(f)).containsExactly("other.example.com");
    }

    @Test
    void commandLineHostsNameServersAsOutputShowsThem() {
        EngineFixture f = new EngineFixture(cap -> {
            cap.server("deploy@10.0.0.5", "web").set("name", "web1");
            cap.server("deploy@10.0.0.6", "web").set("name", "web2");
            cap.task("everywhere", ctx -> ctx.run("true"));
        });
        f.run(new RunOptions(true, List.of("web2"), List.of()), "everywhere");
        assertThat(f.events.of(Event.CommandStarted.class).get(0).servers()).extracting(Server::spec)
                .containsExactly("deploy@10.0.0.6");
    }

    @Test
    void twoAccountsOnOneHostGivenOnlyOnTheCommandLineAreToldApart() {
        EngineFixture f = fleet();
        f.run(new RunOptions(true, List.of("deploy@other:2222", "backup@other:2222"), List.of()), "everywhere");
        assertThat(f.events.of(Event.CommandStarted.class).get(0).servers()).extracting(Server::label)
                .containsExactly("deploy@other:2222", "backup@other:2222");
    }

    @Test
    void unknownRoleOnTheCommandLineIsAConfigError() {
        EngineFixture f = fleet();
        assertThatThrownBy(() -> f.run(new RunOptions(true, List.of(), List.of("dbb")), "everywhere"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("unknown role 'dbb'; roles: web, db");
    }

    @Test
    void commandOptionsOnceHostsAndRoles() {
        EngineFixture f = new EngineFixture(cap -> {
            cap.server("web1", "web");
            cap.server("web2", "web");
            cap.server("db1", "db");
            cap.task("t", ctx -> {
                ctx.run("a", o -> o.once());
                ctx.run("b", o -> o.roles("db"));
                ctx.run("c", o -> o.hosts("web2"));
            });
        });
        f.dryRun("t");
        List<Event.CommandStarted> started = f.events.of(Event.CommandStarted.class);
        assertThat(started.get(0).servers()).extracting(Server::host).containsExactly("web1");
        assertThat(started.get(1).servers()).extracting(Server::host).containsExactly("db1");
        assertThat(started.get(2).servers()).extracting(Server::host).containsExactly("web2");
    }

    @Test
    void aCommandWithNoMatchingServerIsAClearError() {
        EngineFixture f = new EngineFixture(cap -> {
            cap.server("db1", "db");
            cap.server("web1", "web");
            cap.task("t", o -> o.roles("web").only("primary"), ctx -> ctx.run("true"));
            cap.task("skip", o -> o.roles("web").only("primary").skipWhenNoServers(), ctx -> ctx.run("true"));
        });
        assertThatThrownBy(() -> f.dryRun("t")).hasMessageContaining("`true`: no servers match task t (roles web; only primary)");
        f.dryRun("skip");
        assertThat(f.events.commands()).isEmpty();
    }

    @Test
    void aRoleDeclaredWithoutServersFindsNoServersWhereAnUndeclaredOneIsAnError() {
        EngineFixture f = new EngineFixture(cap -> {
            cap.role("db"); // its servers come with another stage
            cap.server("web1", "web");
            cap.task("migrate", o -> o.roles("db").skipWhenNoServers(), ctx -> ctx.run("migrate"));
            cap.task("backup", o -> o.roles("db"), ctx -> ctx.run("backup"));
            cap.task("typo", o -> o.roles("dbb"), ctx -> ctx.run("true"));
            cap.task("deploy", ctx -> {
                ctx.run("echo deploy");
                ctx.invoke("migrate");
            });
        });
        f.dryRun("deploy");
        assertThat(f.events.commands()).containsExactly("echo deploy");
        assertThatThrownBy(() -> f.dryRun("backup")).hasMessageContaining("`backup`: no servers match task backup (roles db)");
        // what chose the servers is named: here the command line's --roles, not the task
        assertThatThrownBy(() -> f.run(new RunOptions(true, List.of(), List.of("db")), "deploy"))
                .hasMessageContaining("`echo deploy`: no servers match task deploy (--roles db)");
        assertThatThrownBy(() -> f.dryRun("typo")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown role 'dbb'; roles: web, db");
    }

    // ---- running real local processes ----------------------------------------------------------

    private static EngineFixture local(java.util.function.Consumer<dev.capstan.Config> tasks) {
        return new EngineFixture(cap -> {
            cap.server("alpha", "app").set("local", true);
            cap.server("beta", "app").set("local", true);
            tasks.accept(cap);
        });
    }

    @Test
    void localServersRunRealProcessesAndReportEachLine() {
        EngineFixture f = local(cap -> cap.task("t", ctx -> ctx.run("echo one; echo two >&2", o -> o.env("GREETING", "hi"))));
        f.run("t");
        assertThat(f.events.output()).contains("alpha: one", "alpha: two", "beta: one", "beta: two");
        assertThat(f.events.of(Event.CommandFinished.class)).hasSize(2).allMatch(e -> e.exitStatus() == 0);
    }

    @Test
    void failureNamesEveryFailedHostWithExitStatusAndStderr() {
        EngineFixture f = local(cap -> cap.task("t", ctx -> ctx.run("echo oops >&2; exit 3")));
        assertThatThrownBy(() -> f.run("t"))
                .isInstanceOf(CommandFailedException.class)
                .hasMessageContaining("`echo oops >&2; exit 3` failed on 2 hosts: alpha, beta")
                .hasMessageContaining("alpha: exit status 3\n    oops")
                .satisfies(e -> assertThat(((CommandFailedException) e).hosts()).extracting(Server::host).containsExactly("alpha", "beta"));
    }

    @Test
    void envStdinCaptureAndTest(@TempDir Path dir) {
        List<Object> seen = new ArrayList<>();
        EngineFixture f = local(cap -> cap.task("t", ctx -> {
            seen.add(ctx.capture("printf %s \"$GREETING\"", o -> o.env("GREETING", "it's me")));
            seen.add(ctx.capture("cat", o -> o.stdin("from stdin\n")));
            seen.add(ctx.test("test -d " + dir));
            seen.add(ctx.test("test -d " + dir.resolve("missing")));
            seen.add(ctx.runLocally("echo local").strip());
        }));
        f.run("t");
        assertThat(seen).containsExactly("it's me", "from stdin", true, false, "local");
    }

    @Test
    void runLocallyTakesEnvStdinAndATimeoutAndRefusesServerOptions() {
        List<Object> seen = new ArrayList<>();
        EngineFixture f = local(cap -> {
            cap.task("t", ctx -> {
                seen.add(ctx.runLocally("printf '%s %s' \"$GREETING\" \"$(cat)\"", o -> o.env("GREETING", "hi").stdin("there")));
                seen.add(ctx.runLocally("echo quick", o -> o.timeout(Duration.ofMinutes(1))).strip());
            });
            cap.task("slow", ctx -> ctx.runLocally("sleep 30", o -> o.timeout(Duration.ofMillis(200))));
            cap.task("elsewhere", ctx -> ctx.runLocally("true", o -> o.hosts("alpha")));
        });
        f.run("t");
        assertThat(seen).containsExactly("hi there", "quick");
        assertThatThrownBy(() -> f.run("slow")).isInstanceOf(CommandFailedException.class)
                .hasMessageContaining("`sleep 30` on localhost timed out after 200 ms");
        assertThatThrownBy(() -> f.run("elsewhere")).isInstanceOf(ConfigException.class)
                .hasMessage("runLocally runs on this machine only: hosts(...) does not apply to `true`");
    }

    @Test
    void withinRunsTheCommandInTheDirectoryAndFailsWhereItIsMissing(@TempDir Path dir) throws Exception {
        Path app = Files.createDirectories(dir.resolve("app dir"));
        Files.writeString(app.resolve("marker"), "x");
        List<Object> seen = new ArrayList<>();
        EngineFixture f = local(cap -> {
            cap.task("t", ctx -> {
                seen.add(ctx.capture("pwd", o -> o.within(app.toString())));
                seen.add(ctx.test("test -f marker", o -> o.within(app.toString())));
                seen.add(ctx.test("test -f marker", o -> o.within(dir.resolve("missing").toString())));
                seen.add(ctx.runLocally("pwd; cd /", o -> o.within(app.toString())).strip());
                // ~ is the home, as unquoted in a shell
                seen.add(ctx.capture("pwd", o -> o.within("~/app dir").env("HOME", dir.toString())));
                // a relative directory found through CDPATH: cd's echo of it stays out of the capture
                seen.add(ctx.capture("echo here", o -> o.within("app dir").env("CDPATH", dir.toString())));
                ctx.run("pwd > seen", o -> o.within(app.toString()).once());
            });
            cap.task("missing", ctx -> ctx.run("touch " + dir.resolve("created"), o -> o.within(dir.resolve("missing").toString())));
        });
        f.run("t");
        assertThat(seen).containsExactly(app.toString(), true, false, app.toString(), app.toString(), "here");
        assertThat(app.resolve("seen")).hasContent(app + "\n");
        assertThat(f.events.of(Event.CommandStarted.class)).last().extracting(Event.CommandStarted::line)
                .isEqualTo("cd -- " + Shell.quote(app.toString()) + " >/dev/null || exit; pwd > seen");

        assertThatThrownBy(() -> f.run("missing")).isInstanceOf(CommandFailedException.class)
                .hasMessageContaining(dir.resolve("missing").toString());
        assertThat(dir.resolve("created")).doesNotExist();
    }

    /**
     * Capistrano 3's {@code on roles do |host|}: each server runs the body at its own pace (alpha finishes all its steps
     * while beta's first one waits for that; with a step after step on all servers it never would), and a test answers
     * for its own server.
     */
    @Test
    void eachServerRunsTheBodyPerServerAtItsOwnPaceAndTestsAnswerPerServer(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("alpha.conf"), "configured\n");
        List<List<String>> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        EngineFixture f = local(cap -> cap.task("t", ctx -> ctx.eachServer(c -> {
            String me = c.servers().get(0).host();
            seen.add(c.servers().stream().map(Server::host).toList());
            if (!c.test("test -f " + dir.resolve(me + ".conf"))) {
                c.run("echo configured > " + dir.resolve(me + ".conf") + "; touch " + dir.resolve(me + ".changed"));
            }
            // both at once (alpha waits for beta to have started), and each at its own pace (beta's one step lasts
            // while alpha takes three): run one after the other, or step after step, this would never end
            if (me.equals("alpha")) {
                c.run(waitFor(dir.resolve("beta.started")));
                c.run("true");
                c.run("touch " + dir.resolve("alpha.done"));
            } else {
                c.run("touch " + dir.resolve("beta.started") + "; " + waitFor(dir.resolve("alpha.done")));
            }
        })));
        f.run("t");
        assertThat(seen).containsExactlyInAnyOrder(List.of("alpha"), List.of("beta"));
        assertThat(dir.resolve("beta.changed")).exists();
        assertThat(dir.resolve("alpha.changed")).doesNotExist();
        assertThat(dir.resolve("beta.conf")).hasContent("configured");
    }

    /**
     * Under onError(CONTINUE) the block of a server that failed ends right there (nothing after it runs, not even on
     * this machine), its transaction is not rolled back, and the other servers go on and keep their work.
     */
    @Test
    void underContinueEachServerGoesOnWithoutAServerThatFailed(@TempDir Path dir) {
        EngineFixture f = local(cap -> cap.task("t", o -> o.onError(OnError.CONTINUE), ctx -> ctx.eachServer(c ->
                c.transaction(() -> {
                    String me = c.servers().get(0).host();
                    c.onRollback(() -> c.run("touch " + dir.resolve(me + ".undone")));
                    c.run(me.equals("beta") ? "exit 4" : "true");
                    c.runLocally("touch " + dir.resolve(me + ".notified"));
                    c.run("touch " + dir.resolve(me + ".second"));
                }))));
        assertThatThrownBy(() -> f.run("t"))
                .hasMessage("the run went on without 1 host that failed under onError(CONTINUE): beta");
        assertThat(dir.resolve("alpha.notified")).exists();
        assertThat(dir.resolve("alpha.second")).exists();
        assertThat(dir.resolve("beta.notified")).doesNotExist();
        assertThat(dir.resolve("beta.second")).doesNotExist();
        assertThat(dir.resolve("alpha.undone")).as("alpha's work kept").doesNotExist();
        assertThat(dir.resolve("beta.undone")).as("as under CONTINUE anywhere").doesNotExist();
        assertThat(f.events.of(Event.HostsDropped.class)).singleElement()
                .satisfies(e -> assertThat(e.servers()).extracting(Server::host).containsExactly("beta"));
    }

    /**
     * A server dropped in eachServer keeps its work also when a sibling's failure rolls every other block back (its
     * handlers would find no server), and a drop inside a parallelize nested in its block ends the block too.
     */
    @Test
    void aServerDroppedInEachServerIsNotRolledBackLaterAndANestedDropEndsItsBlock(@TempDir Path dir) {
        EngineFixture f = local(cap -> {
            cap.task("sibling", o -> o.onError(OnError.CONTINUE), ctx -> ctx.transaction(() -> ctx.eachServer(c -> {
                String me = c.servers().get(0).host();
                c.onRollback(() -> c.run("touch " + dir.resolve(me + ".undone")));
                c.run(me.equals("beta") ? "exit 4" : "true");
                if (me.equals("alpha")) {
                    throw new IllegalStateException("alpha's recipe bug"); // rolled back once every block has ended
                }
            })));
            cap.task("nested", o -> o.onError(OnError.CONTINUE), ctx -> ctx.eachServer(c -> {
                String me = c.servers().get(0).host();
                c.parallelize(s -> s.run(inner -> inner.run(me.equals("beta") ? "exit 4" : "true")));
                c.run("touch " + dir.resolve(me + ".second"));
            }));
        });

        assertThatThrownBy(() -> f.run("sibling")).isInstanceOf(dev.capstan.ParallelizeException.class)
                .hasMessageContaining("alpha's recipe bug").hasMessageNotContaining("rollback handler");
        assertThat(dir.resolve("alpha.undone")).as("the failed block rolled back").exists();
        assertThat(dir.resolve("beta.undone")).as("the dropped server's work kept").doesNotExist();

        assertThatThrownBy(() -> f.run("nested")).hasMessageEndingWith("onError(CONTINUE): beta");
        assertThat(dir.resolve("alpha.second")).exists();
        assertThat(dir.resolve("beta.second")).doesNotExist();
    }

    @Test
    void inEachServerACommandRunsOnItsBlocksServerOnly() {
        EngineFixture f = local(cap -> cap.task("t", ctx -> ctx.eachServer(c -> c.run("true", o -> o.roles("db")))));
        assertThatThrownBy(() -> f.run("t")).isInstanceOf(dev.capstan.ParallelizeException.class)
                .hasMessageContaining("`true`: in eachServer every command runs on its block's server; hosts(...) and"
                        + " roles(...) do not apply");
    }

    /** A shell loop that waits (at most 20 s, then fails) until {@code file} exists. */
    private static String waitFor(Path file) {
        return "i=0; while [ ! -f " + file + " ]; do i=$((i+1)); [ $i -lt 400 ] || exit 9; sleep 0.05; done";
    }

    @Test
    void aServerFailingInEachServerRollsBackEveryServerAndIsNamed(@TempDir Path dir) {
        EngineFixture f = local(cap -> cap.task("t", ctx -> ctx.transaction(() -> ctx.eachServer(c -> {
            String me = c.servers().get(0).host();
            c.onRollback(() -> c.run("touch " + dir.resolve(me + ".undone")));
            c.run(me.equals("beta") ? "exit 4" : "true");
        }))));
        assertThatThrownBy(() -> f.run("t")).isInstanceOf(dev.capstan.ParallelizeException.class)
                .hasMessageStartingWith("eachServer: 1 of 2 servers failed; every block run so far was rolled back")
                .hasMessageContaining("beta (task t on beta): `exit 4` failed on 1 host: beta");
        assertThat(dir.resolve("alpha.undone")).exists();
        assertThat(dir.resolve("beta.undone")).exists();
    }

    @Test
    void onErrorContinueDropsFailedHostsForTheRestOfTheTask() {
        List<List<String>> remaining = new ArrayList<>();
        EngineFixture f = local(cap -> cap.task("t", o -> o.onError(OnError.CONTINUE), ctx -> {
            ctx.run("test \"$(hostname)\" = never || case $$ in *) [ " + "$(echo x)" + " = x ] ; esac; exit 0");
            ctx.run("exit 1", o -> o.hosts("beta"));
            remaining.add(ctx.servers().stream().map(Server::host).toList());
            ctx.run("true");
        }));
        // the task goes on without beta, and the run says it did not succeed on it
        assertThatThrownBy(() -> f.run("t")).isInstanceOf(CapstanException.class)
                .hasMessage("the run went on without 1 host that failed under onError(CONTINUE): beta");
        assertThat(remaining).containsExactly(List.of("alpha"));
        List<Event.CommandStarted> started = f.events.of(Event.CommandStarted.class);
        assertThat(started.get(started.size() - 1).servers()).extracting(Server::host).containsExactly("alpha");
        assertThat(f.events.of(Event.HostsDropped.class)).singleElement().satisfies(e -> {
            assertThat(e.servers()).extracting(Server::host).containsExactly("beta");
            assertThat(e.reason()).contains("`exit 1` failed on 1 host: beta");
        });
    }

    @Test
    void aFailureOfACommandBuiltPerServerNamesTheFailedServersOwnLine() {
        EngineFixture f = local(cap -> cap.task("t", ctx -> ctx.run(s -> s.host().equals("beta")
                ? "echo bad >&2; exit 4" : "echo good")));
        assertThatThrownBy(() -> f.run("t")).isInstanceOf(dev.capstan.CommandFailedException.class)
                .hasMessageStartingWith("`echo bad >&2; exit 4` failed on 1 host: beta");
    }

    @Test
    void aLongScriptThatFailsIsQuotedByItsStart() {
        String script = "echo checking; " + "true; ".repeat(60) + "exit 3";
        EngineFixture f = local(cap -> cap.task("t", ctx -> ctx.run(script, o -> o.hosts("beta"))));
        assertThatThrownBy(() -> f.run("t")).isInstanceOf(dev.capstan.CommandFailedException.class)
                .hasMessageStartingWith("`" + script.substring(0, 100).strip() + "… (" + script.length()
                        + " characters)` failed on 1 host: beta")
                .satisfies(e -> assertThat(((dev.capstan.CommandFailedException) e).command()).isEqualTo(script));
    }

    @Test
    void aHostsOptionNamingAnUndeclaredHostIsWarnedOfOnce() {
        EngineFixture f = new EngineFixture(cap -> {
            cap.server("alpha").set("local", true);
            cap.task("t", ctx -> { });
        });
        f.run(new RunOptions(false, List.of("alpha", "alhpa"), List.of()), "t");
        assertThat(f.events.of(Event.Log.class)).filteredOn(l -> l.level() == Event.Level.WARN)
                .extracting(Event.Log::message)
                .containsExactly("--hosts alhpa: not one of the recipe's servers; running on it as given");
    }

    @Test
    void maxHostsRunsCommandsInBatches() {
        EngineFixture f = new EngineFixture(cap -> {
            for (int i = 1; i <= 5; i++) {
                cap.server("h" + i).set("local", true);
            }
            cap.task("t", o -> o.maxHosts(2), ctx -> ctx.run("true"));
        });
        f.run("t");
        assertThat(f.events.of(Event.CommandStarted.class)).extracting(e -> e.servers().size()).containsExactly(2, 2, 1);
    }

    @Test
    void maxHostsBatchesTestsParallelBranchesAndTransfersToo(@TempDir Path dir) {
        EngineFixture f = new EngineFixture(cap -> {
            for (int i = 1; i <= 3; i++) {
                cap.server("h" + i, "web").set("local", true);
            }
            cap.task("t", o -> o.maxHosts(1), ctx -> {
                ctx.test("true");
                ctx.parallel(p -> p.when(Server.in("web"), "true").when(Server.in("web"), "echo two"));
                ctx.put("x", dir.resolve("put.txt").toString());
            });
        });
        f.run("t");
        // one server per started step: 3 for the test, 2 lines x 3 servers for parallel, 3 for the put
        assertThat(f.events.of(Event.CommandStarted.class)).extracting(e -> e.servers().size()).hasSize(12).containsOnly(1);
    }

    @Test
    void aFailedBatchIsTheLastAsInCapistranoUnlessTheTaskContinues() {
        for (OnError onError : List.of(OnError.FAIL, OnError.CONTINUE)) {
            EngineFixture f = new EngineFixture(cap -> {
                for (int i = 1; i <= 4; i++) {
                    cap.server("h" + i).set("local", true);
                }
                cap.task("restart", o -> o.maxHosts(2).onError(onError),
                        ctx -> ctx.run(s -> s.host().equals("h2") ? "exit 3" : "true"));
            });
            if (onError == OnError.FAIL) {
                assertThatThrownBy(() -> f.run("restart")).isInstanceOf(CommandFailedException.class)
                        .hasMessageContaining("h2");
                assertThat(f.events.of(Event.CommandStarted.class)).flatExtracting(Event.CommandStarted::servers)
                        .extracting(Server::host).containsExactly("h1", "h2");
            } else {
                assertThatThrownBy(() -> f.run("restart")).hasMessageEndingWith("onError(CONTINUE): h2");
                assertThat(f.events.of(Event.CommandStarted.class)).flatExtracting(Event.CommandStarted::servers)
                        .extracting(Server::host).containsExactly("h1", "h2", "h3", "h4");
            }
        }
    }

    /**
     * Ansible's serial with failures tolerated: the group goes on without its failed servers, but a group whose servers
     * all failed ends the task; the next group is not started, to be broken the same way.
     */
    @Test
    void underContinueAGroupWhoseServersAllFailedEndsTheTask() {
        List<String> trace = new java.util.concurrent.CopyOnWriteArrayList<>();
        EngineFixture f = new EngineFixture(cap -> {
            for (int i = 1; i <= 6; i++) {
                cap.server("h" + i).set("local", true);
            }
            cap.task("rolling", o -> o.inGroups(2, Duration.ZERO).onError(OnError.CONTINUE), ctx -> {
                ctx.run(s -> s.host().equals("h1") || s.host().equals("h3") || s.host().equals("h4") ? "exit 1" : "true");
                trace.add("after " + ctx.servers().stream().map(Server::host).toList());
            });
            cap.task("all_fail", o -> o.onError(OnError.CONTINUE), ctx -> {
                ctx.run("exit 1");
                ctx.run("echo never");
            });
        });
        assertThatThrownBy(() -> f.run("rolling")).isInstanceOf(CapstanException.class)
                .hasMessage("every server of group 2 of task rolling failed (onError(CONTINUE)): the groups after it"
                        + " were not started");
        assertThat(trace).containsExactly("after [h2]", "after []");
        assertThat(f.events.of(Event.CommandStarted.class)).flatExtracting(Event.CommandStarted::servers)
                .extracting(Server::host).doesNotContain("h5", "h6");

        assertThatThrownBy(() -> f.run("all_fail")).isInstanceOf(CapstanException.class)
                .hasMessage("`echo never`: every server of task all_fail failed and was dropped (onError(CONTINUE));"
                        + " none is left to run it on");
    }

    @Test
    void inGroupsRunsTheWholeBodyGroupAfterGroup() {
        EngineFixture f = new EngineFixture(cap -> {
            for (int i = 1; i <= 5; i++) {
                cap.server("h" + i).set("local", true);
            }
            cap.task("restart", o -> o.inGroups(2, Duration.ZERO), ctx -> {
                trace.add("stop " + ctx.servers().stream().map(Server::host).toList());
                ctx.run("true");
                trace.add("start " + ctx.servers().stream().map(Server::host).toList());
            });
        });
        f.run("restart");
        assertThat(trace).containsExactly("stop [h1, h2]", "start [h1, h2]", "stop [h3, h4]", "start [h3, h4]", "stop [h5]", "start [h5]");
    }

    @Test
    void inGroupsAndInSequencePauseBetweenGroups() {
        Duration wait = Duration.ofMillis(300);
        EngineFixture f = new EngineFixture(cap -> {
            for (int i = 1; i <= 3; i++) {
                cap.server("h" + i).set("local", true);
            }
            cap.task("groups", o -> o.inGroups(2, wait), ctx -> ctx.run("true"));
            cap.task("sequence", o -> o.inSequence(wait), ctx -> ctx.run("true"));
        });
        f.run("groups");
        assertPausedBetweenGroups(f.events.all(), List.of(List.of("h1", "h2"), List.of("h3")), wait);
        f.run("sequence");
        List<Event> sequence = f.events.all().stream().dropWhile(e -> !(e instanceof Event.TaskStarted t && t.task().equals("sequence")))
                .toList();
        assertPausedBetweenGroups(sequence, List.of(List.of("h1"), List.of("h2"), List.of("h3")), wait);
    }

    /** Each group's command started at least {@code wait} after the previous group's had finished everywhere. */
    private static void assertPausedBetweenGroups(List<Event> events, List<List<String>> groups, Duration wait) {
        List<Event.CommandStarted> starts = events.stream().filter(Event.CommandStarted.class::isInstance)
                .map(Event.CommandStarted.class::cast).toList();
        assertThat(starts).extracting(e -> e.servers().stream().map(Server::host).toList()).containsExactlyElementsOf(groups);
        for (int g = 1; g < groups.size(); g++) {
            long previous = starts.get(g - 1).id();
            java.time.Instant lastEnd = events.stream().filter(e -> e instanceof Event.CommandFinished c && c.id() == previous)
                    .map(Event::at).max(java.util.Comparator.naturalOrder()).orElseThrow();
            assertThat(Duration.between(lastEnd, starts.get(g).at())).as("pause before group %d", g + 1)
                    .isGreaterThanOrEqualTo(wait);
        }
        assertThat(events).filteredOn(Event.Log.class::isInstance).extracting(e -> ((Event.Log) e).message())
                .contains("waiting 300 ms before the next group");
    }

    @Test
    void dryRunShowsEveryCommandAndRunsNothing(@TempDir Path dir) {
        Path marker = dir.resolve("marker");
        List<Object> seen = new ArrayList<>();
        EngineFixture f = local(cap -> cap.task("t", ctx -> {
            ctx.run("touch " + marker);
            seen.add(ctx.capture("echo real"));
            seen.add(ctx.test("false"));
            seen.add(ctx.runLocally("echo real"));
        }));
        f.dryRun("t");
        assertThat(marker).doesNotExist();
        assertThat(seen).containsExactly("", true, "");
        assertThat(f.events.of(Event.CommandStarted.class)).first()
                .satisfies(e -> {
                    assertThat(e.line()).isEqualTo("touch " + marker);
                    assertThat(e.servers()).extracting(Server::host).containsExactly("alpha", "beta");
                });
    }

    @Test
    void uploadPutAndDownloadOnLocalServers(@TempDir Path dir) throws Exception {
        Path source = Files.writeString(dir.resolve("app.conf"), "port=8080\n");
        Path target = dir.resolve("deployed.conf");
        EngineFixture f = new EngineFixture(cap -> {
            cap.server("alpha").set("local", true);
            cap.task("t", ctx -> {
                ctx.upload(source.toString(), target.toString(), o -> o.mode(0640));
                ctx.put("secret=1\n", dir.resolve("put.txt").toString());
                ctx.download(target.toString(), dir.resolve("back.conf").toString());
            });
        });
        f.run("t");
        assertThat(target).hasContent("port=8080");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rw-r-----");
        assertThat(dir.resolve("put.txt")).hasContent("secret=1");
        assertThat(dir.resolve("back.conf")).hasContent("port=8080");
    }

    @Test
    void aDownloadFromSeveralServersMakesTheDirectoryItsFilesGoInto(@TempDir Path dir) throws Exception {
        Path log = Files.writeString(dir.resolve("app.log"), "started\n");
        Path fetched = dir.resolve("logs/today");
        EngineFixture f = new EngineFixture(cap -> {
            cap.server("alpha").set("local", true);
            cap.server("beta").set("local", true);
            cap.task("t", ctx -> ctx.download(log.toString(), fetched.toString()));
        });
        f.run("t");
        assertThat(fetched.resolve("alpha")).hasContent("started");
        assertThat(fetched.resolve("beta")).hasContent("started");

        Files.writeString(dir.resolve("taken"), "a file");
        EngineFixture taken = new EngineFixture(cap -> {
            cap.server("alpha").set("local", true);
            cap.server("beta").set("local", true);
            cap.task("t", ctx -> ctx.download(log.toString(), dir.resolve("taken").toString()));
        });
        assertThatThrownBy(() -> taken.run("t")).hasMessage("download: cannot make the directory " + dir.resolve("taken")
                + " that a download from 2 servers goes into (one file per host): a file of that name exists");

        Path single = dir.resolve("once.log");
        new EngineFixture(cap -> {
            cap.server("alpha").set("local", true);
            cap.server("beta").set("local", true);
            cap.task("t", t -> t.once(), ctx -> ctx.download(log.toString(), single.toString()));
        }).run("t");
        assertThat(single).isRegularFile().hasContent("started"); // one server: the file itself

        Path accounts = dir.resolve("accounts");
        new EngineFixture(cap -> {
            cap.server("alice@box").set("local", true);
            cap.server("bob@box").set("local", true);
            cap.task("t", ctx -> ctx.download(log.toString(), accounts.toString()));
        }).run("t");
        try (var names = Files.list(accounts)) { // two accounts on one host: neither copy overwrites the other
            assertThat(names.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("alice@box", "bob@box");
        }
    }

    @Test
    void putAndUploadOnALocalServerReplaceTheirTargetKeepingItsModeAndLeaveNoPartFile(@TempDir Path dir) throws Exception {
        Path target = Files.writeString(dir.resolve("REVISION"), "old\n");
        Files.setPosixFilePermissions(target, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path source = Files.writeString(dir.resolve("source.conf"), "port=8080\n");
        Path shared = Files.writeString(dir.resolve("shared.conf"), "port=80\n");
        Path link = Files.createSymbolicLink(dir.resolve("linked.conf"), shared);
        EngineFixture f = new EngineFixture(cap -> {
            cap.server("alpha").set("local", true);
            cap.task("t", ctx -> {
                ctx.put("new\n", target.toString());
                ctx.upload(source.toString(), link.toString());
            });
        });
        f.run("t");
        assertThat(target).hasContent("new");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
                .isEqualTo("rw-------");
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(shared).hasContent("port=8080");
        try (var names = Files.list(dir)) {
            assertThat(names.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("REVISION", "source.conf", "shared.conf", "linked.conf");
        }
    }

    @Test
    void anUploadOnALocalServerCarriesTheSourcesModeKeepsTheOwnerAndGoesIntoADirectory(@TempDir Path dir) throws Exception {
        Path script = Files.writeString(dir.resolve("run.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path existing = Files.writeString(dir.resolve("deployed.sh"), "old\n");
        Files.setPosixFilePermissions(existing, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path bin = Files.createDirectories(dir.resolve("bin"));
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            Files.setOwner(existing, existing.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        }
        new EngineFixture(cap -> {
            cap.server("alpha").set("local", true);
            cap.task("t", ctx -> {
                ctx.upload(script.toString(), existing.toString());
                ctx.upload(script.toString(), bin.toString());
            });
        }).run("t");

        assertThat(existing).hasContent("#!/bin/sh");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(existing)))
                .isEqualTo("rwxr-xr-x"); // the source's, as over SFTP
        if (root) {
            assertThat(Files.getOwner(existing).getName()).isEqualTo("nobody");
        }
        assertThat(bin.resolve("run.sh")).hasContent("#!/bin/sh");
    }

    @Test
    void putOnALocalServerKeepsAFifoASetIdModeAndRefusesAMissingDirectory(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("fifo");
        Process mkfifo = new ProcessBuilder("mkfifo", "-m", "0622", fifo.toString()).start();
        assertThat(mkfifo.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).as("mkfifo finished").isTrue();
        assertThat(mkfifo.exitValue()).isZero();
        Path received = dir.resolve("received");
        // reads until both writes came: one cat may see both (the second writer opened before it saw the first's end)
        Process reader = new ProcessBuilder("sh", "-c", ": > " + received + "; while [ \"$(wc -l < " + received
                + ")\" -lt 2 ]; do cat " + fifo + " >> " + received + "; done").start();
        Path source = Files.writeString(dir.resolve("source.txt"), "uploaded\n");
        Files.setPosixFilePermissions(source, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        Path tool = dir.resolve("tool");
        EngineFixture f = new EngineFixture(cap -> {
            cap.server("alpha").set("local", true);
            cap.task("t", ctx -> {
                ctx.put("through the pipe\n", fifo.toString()); // a FIFO stays one: written, not replaced
                ctx.upload(source.toString(), fifo.toString()); // ... and keeps its mode
                ctx.put("#!/bin/sh\n", tool.toString(), o -> o.mode(04755));
            });
            cap.task("missing", ctx -> ctx.put("x", dir.resolve("nodir") + "/"));
        });
        try {
            f.run("t");
            assertThat(reader.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).as("the FIFO's reader got both writes").isTrue();
        } finally {
            reader.descendants().forEach(ProcessHandle::destroyForcibly);
            reader.destroyForcibly();
        }

        assertThat(received).hasContent("through the pipe\nuploaded");
        assertThat(Files.isRegularFile(fifo, java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat((Integer) Files.getAttribute(fifo, "unix:mode") & 07777).isEqualTo(0622);
        assertThat((Integer) Files.getAttribute(tool, "unix:mode") & 07777).isEqualTo(04755);
        assertThatThrownBy(() -> f.run("missing")).hasMessageContaining("no such directory");
        assertThat(dir.resolve("nodir")).doesNotExist();
    }

    @Test
    void sudoRunsWithCapstansOwnPromptAndAPty() {
        EngineFixture f = new EngineFixture(cap -> {
            cap.server("web1");
            cap.task("t", ctx -> {
                ctx.sudo("systemctl restart shop");
                ctx.sudo("touch /srv/x", o -> o.as("www-data"));
                ctx.sudo("./reload", o -> o.within("/root/app"));
            });
        });
        f.dryRun("t");
        assertThat(f.events.commands()).containsExactly(
                "sudo -p '[capstan] sudo password: ' -- sh -c 'systemctl restart shop'",
                "sudo -p '[capstan] sudo password: ' -u www-data -- sh -c 'touch /srv/x'",
                // the directory is changed to as root: it may be root's alone
                "sudo -p '[capstan] sudo password: ' -- sh -c 'cd -- /root/app >/dev/null || exit; ./reload'");
    }

    @Test
    void secretsAreMaskedInEveryEvent() {
        EngineFixture f = local(cap -> {
            cap.secret("db_password", "s3cr3t-value");
            cap.task("t", ctx -> ctx.run("echo " + ctx.fetch("db_password") + "; echo s3cr3t-value >&2; exit 1"));
        });
        assertThatThrownBy(() -> f.run("t")).isInstanceOf(CommandFailedException.class);
        assertThat(f.events.all().toString()).doesNotContain("s3cr3t-value").contains("****");
    }
}
