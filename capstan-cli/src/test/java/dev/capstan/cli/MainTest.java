package dev.capstan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
    @TempDir
    Path dir;
    Path cache;

    @BeforeEach
    void cacheDir() throws IOException {
        cache = Files.createDirectories(dir.resolve("cache"));
    }

    private Path recipe(String body) throws IOException {
        return recipe("Capfile.java", "import dev.capstan.*;\n\npublic class Capfile implements Recipe {\n"
                + "    @Override\n    public void define(Config cap) {\n" + body + "\n    }\n}\n");
    }

    private Path recipe(String name, String source) throws IOException {
        return Files.writeString(dir.resolve(name), source);
    }

    private CliRun capstan(Path recipe, String... args) {
        // the debug log goes to the test's directory, not to log/ under the working directory
        String[] all = new String[args.length + 4];
        all[0] = "-f";
        all[1] = recipe.toString();
        all[2] = "--log";
        all[3] = dir.resolve("capstan.log").toString();
        System.arraycopy(args, 0, all, 4, args.length);
        return CliRun.of(cache, all);
    }

    private static final String LOCAL_FLEET = """
                    cap.server("alpha", "web").set("local", true);
                    cap.server("beta", "web", "db").set("local", true);
            """;

    @Test
    void listsDocumentedTasksAligned() throws IOException {
        Path file = recipe("""
                cap.desc("Deploy the application. Then restart it.");
                cap.namespace("deploy", d -> d.task("default", ctx -> { }));
                cap.desc("Roll back to the previous release");
                cap.task("rollback_now", ctx -> { });
                cap.task("hidden", ctx -> { });
                """);
        CliRun run = capstan(file, "-T");
        assertThat(run.status()).isZero();
        assertThat(run.out()).contains(
                "capstan deploy        # Deploy the application.\n",
                "capstan rollback_now  # Roll back to the previous release\n",
                "(1 undocumented task not shown");
        assertThat(run.out()).doesNotContain("hidden");
    }

    @Test
    void explainsOneTask() throws IOException {
        Path file = recipe("""
                cap.desc("Restart the web tier.\\nGracefully, one group at a time.");
                cap.task("restart", t -> t.roles("web").maxHosts(2), ctx -> { });
                """);
        CliRun run = capstan(file, "-e", "restart");
        assertThat(run.status()).isZero();
        assertThat(run.out()).contains("capstan restart", "  Restart the web tier.", "  Gracefully, one group at a time.",
                "  runs on: roles web", "  max hosts: 2 at a time", "  declared at: Capfile.java:");
    }

    @Test
    void unknownTaskExitsTwoWithSuggestionsAndRunsNothing() throws IOException {
        Path marker = dir.resolve("ran");
        Path file = recipe(LOCAL_FLEET + """
                cap.task("deploy", ctx -> ctx.run("touch %s"));
                """.formatted(marker));
        CliRun run = capstan(file, "deploy", "deplyo");
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("capstan: unknown task 'deplyo'; did you mean 'deploy'?\n");
        assertThat(marker).doesNotExist();
    }

    @Test
    void unknownOptionExitsTwoWithOneLine() throws IOException {
        CliRun run = capstan(recipe(""), "--frobnicate");
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("capstan: Unknown option: '--frobnicate' (capstan --help lists the options)\n");
        CliRun exec = capstan(recipe(""), "exec");
        assertThat(exec.status()).isEqualTo(2);
        assertThat(exec.err()).isEqualTo("capstan: Missing required parameter: 'COMMAND'"
                + " (capstan exec --help lists the options)\n");
    }

    @Test
    void subcommandsHaveHelpAndRefuseWhatOnlyTasksTake() throws IOException {
        for (String subcommand : List.of("init", "exec", "demo")) {
            CliRun help = CliRun.of(cache, subcommand, "--help");
            assertThat(help.status()).as(subcommand).isZero();
            assertThat(help.out()).as(subcommand).startsWith("Usage: capstan " + subcommand);
        }
        Path target = dir.resolve("Capfile.java");
        CliRun stray = CliRun.of(cache, "-f", target.toString(), "help", "init");
        assertThat(stray.status()).isEqualTo(2);
        assertThat(stray.err()).isEqualTo("capstan: init takes no tasks; 'help' before it is not understood"
                + " (capstan init --help lists what it takes)\n");
        assertThat(target).doesNotExist();
        CliRun dry = CliRun.of(cache, "-n", "demo");
        assertThat(dry.status()).isEqualTo(2);
        assertThat(dry.err()).isEqualTo("capstan: demo has no dry run (-n)\n");
    }

    @Test
    void aBadSshSettingIsOneLineAndExitTwoBeforeAnyTaskRuns() throws IOException {
        Path marker = dir.resolve("ran");
        Path file = recipe(LOCAL_FLEET + """
                cap.task("work", ctx -> ctx.run("touch %s"));
                """.formatted(marker));
        for (String[] bad : new String[][] {{"connect_timeout=abc", "connect_timeout must be a number of seconds, got 'abc'"},
                {"max_sessions=0", "max_sessions must be at least 1, got 0"},
                {"ssh_identity=" + dir.resolve("no-such-key"), "ssh_identity: no key file " + dir.resolve("no-such-key")},
                {"ssh_config=" + dir.resolve("no-such-config"), "ssh_config: no file " + dir.resolve("no-such-config")
                        + " (none: read no ssh config)"}}) {
            CliRun run = capstan(file, "-s", bad[0], "work");
            assertThat(run.status()).as(bad[0]).isEqualTo(2);
            assertThat(run.err()).as(bad[0]).endsWith("capstan: " + bad[1] + "\n");
            assertThat(marker).doesNotExist();
            assertThat(capstan(file, "-n", "-s", bad[0], "work").status()).as("dry run, " + bad[0]).isEqualTo(2);
        }
    }

    @Test
    void compileErrorExitsTwoWithFileLineColumnAndMessage() throws IOException {
        Path file = recipe("""
                        cap.task("x", ctx -> ctx.runn("true"));
                """);
        CliRun run = capstan(file, "x");
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err()).matches("(?s)capstan: .*Capfile\\.java:6:\\d+: error: cannot find symbol \\(symbol: method runn\\(java.lang.String\\);"
                + " location: variable ctx of type dev.capstan.TaskContext\\)\\n");
    }

    @Test
    void missingRecipeFileExitsTwo() {
        CliRun run = CliRun.of(cache, "-f", dir.resolve("nope/Capfile.java").toString(), "-T");
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("capstan: recipe file " + dir.resolve("nope/Capfile.java") + " not found"
                + " (run capstan init to write one, or pass -f FILE)\n");
    }

    @Test
    void badInputInTheRecipeIsOneLineNamingWhatAndWhere() throws IOException {
        assertThat(capstan(recipe("cap.server(\"web1:notaport\", \"web\");"), "-T"))
                .satisfies(r -> {
                    assertThat(r.status()).isEqualTo(2);
                    assertThat(r.err()).isEqualTo("capstan: malformed host 'web1:notaport': expected [user@]host[:port] (Capfile.java:6)\n");
                });
        assertThat(capstan(recipe("cap.set(\"bad-name\", 1);"), "-T").err())
                .isEqualTo("capstan: invalid variable name 'bad-name': use letters, digits and _, not starting with a digit (Capfile.java:6)\n");
        assertThat(capstan(recipe("cap.task(\"a\", ctx -> { });\n        cap.task(\"a\", ctx -> { });"), "-T").err())
                .isEqualTo("capstan: duplicate task 'a' at Capfile.java:7, first declared at Capfile.java:6\n");
        assertThat(capstan(recipe("cap.task(\"a\", ctx -> { });\n        cap.task(\"b\", ctx -> { });\n"
                + "        cap.before(\"a\", \"b\");\n        cap.before(\"b\", \"a\");"), "-T").err())
                .isEqualTo("capstan: callback cycle: a -> b -> a (each runs the next as a before/after callback)\n");
    }

    @Test
    void aRecipeThatFailsWhileLoadingIsOneLineWithItsLineAndNoSecret() throws IOException {
        Path file = recipe("""
                cap.secret("token", "TOPSECRET1");
                        if (true) throw new IllegalStateException("cannot reach the vault with token TOPSECRET1");
                """);
        CliRun run = capstan(file, "-T");
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("capstan: the recipe failed while loading: java.lang.IllegalStateException:"
                + " cannot reach the vault with token **** (Capfile.java:7)\n");
    }

    @Test
    void capstansOwnLoadingErrorsAndAStagesFailureMaskTheSecretsDeclaredByThen() throws IOException {
        Path file = recipe("""
                cap.secret("db_password", "TOPSECRET2");
                        cap.stage("production", s -> s.set("port", Integer.parseInt(s.fetch("db_password").toString())));
                        if (cap.fetch("mode", "").equals("server")) cap.server("deploy:" + cap.fetch("db_password") + "@db1");
                        if (cap.fetch("mode", "").equals("assert")) throw new AssertionError("no " + cap.fetch("db_password"));
                """);
        CliRun stage = capstan(file, "production", "-T");
        assertThat(stage.status()).isEqualTo(2);
        assertThat(stage.err()).startsWith("capstan: the recipe's stage failed while loading: java.lang.NumberFormatException")
                .contains("\"****\"").doesNotContain("TOPSECRET2");
        CliRun server = capstan(file, "-S", "mode=server", "-T");
        assertThat(server.status()).isEqualTo(2);
        assertThat(server.err()).startsWith("capstan: malformed host 'deploy:****@db1'").doesNotContain("TOPSECRET2");
        CliRun asserts = capstan(file, "-S", "mode=assert", "-T");
        assertThat(asserts.status()).isEqualTo(2);
        assertThat(asserts.err()).isEqualTo("capstan: the recipe failed while loading: java.lang.AssertionError: no ****"
                + " (Capfile.java:9)\n");
    }

    @Test
    void aVariableTheRecipeReadsWhileLoadingIsAskedForWithCapitalS() throws IOException {
        Path file = recipe("cap.server(cap.fetch(\"web_host\").toString(), \"web\");");
        CliRun run = capstan(file, "-s", "other=1", "-T");
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("capstan: variable 'web_host' is not set; the recipe reads it while loading, so"
                + " set it with -S web_host=VALUE (or cap.set(\"web_host\", ...) before it is read)\n");
        assertThat(capstan(file, "-S", "web_host=web1", "-T").status()).isZero();
    }

    @Test
    void aBugInATaskBodyIsOneLineNamingTheRecipesLine() throws IOException {
        Path file = recipe(LOCAL_FLEET + """
                cap.task("work", ctx -> {
                    String name = ctx.fetch("name", null);
                    ctx.run("echo " + name.length());
                });
                """);
        CliRun run = capstan(file, "work");
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).startsWith("capstan: java.lang.NullPointerException: ").endsWith(" (Capfile.java:10)\n")
                .doesNotContain("\tat ");
    }

    @Test
    void aVariableATaskNeedsAndNoOneSetIsExitTwo() throws IOException {
        Path file = recipe(LOCAL_FLEET + """
                cap.task("work", ctx -> ctx.run("echo " + ctx.fetch("greeting")));
                """);
        CliRun run = capstan(file, "work");
        assertThat(run.status()).isEqualTo(2);
        // named where the recipe asked for it: the task's line
        assertThat(run.err()).endsWith("capstan: variable 'greeting' is not set; set it with cap.set(\"greeting\", ...)"
                + " or -s greeting=VALUE (Capfile.java:8)\n");
    }

    @Test
    void aRecipeClassThatIsNotPublicIsToldSo() throws IOException {
        Path file = recipe("Capfile.java", "import dev.capstan.*;\n\nclass Capfile implements Recipe {\n"
                + "    public void define(Config cap) { }\n}\n");
        CliRun run = capstan(file, "-T");
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("capstan: " + file + ": class Capfile must be public (public class Capfile"
                + " implements Recipe)\n");
    }

    @Test
    void anUnknownTaskInvokedInABlockIsExitTwoAsOutsideOne() throws IOException {
        Path file = recipe(LOCAL_FLEET + """
                cap.task("t", ctx -> ctx.parallelize(s -> s.run(c -> c.invoke("nosuch"))));
                """);
        CliRun run = capstan(file, "t");
        assertThat(run.status()).as(run.err()).isEqualTo(2);
        assertThat(run.err()).contains("nosuch");
    }

    @Test
    void localServersRunRealProcesses() throws IOException {
        Path out = dir.resolve("out");
        Path file = recipe(LOCAL_FLEET + """
                cap.task("hello", ctx -> ctx.run("echo hello from $0 >> %s"));
                """.formatted(out));
        CliRun run = capstan(file, "hello");
        assertThat(run.status()).isZero();
        assertThat(Files.readAllLines(out)).hasSize(2);
        assertThat(run.out()).contains("▶ hello  (alpha, beta)", "$ echo hello from $0 >> " + out);
    }

    @Test
    void aFailedTaskExitsOneNamingTheHosts() throws IOException {
        Path file = recipe(LOCAL_FLEET + """
                cap.task("broken", ctx -> ctx.run("echo bad >&2; exit 7", o -> o.roles("db")));
                """);
        CliRun run = capstan(file, "broken");
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).contains("capstan: `echo bad >&2; exit 7` failed on 1 host: beta", "beta: exit status 7", "bad");
        assertThat(run.out()).contains("beta ! bad");
    }

    @Test
    void dryRunPrintsEveryCommandPerHostAndRunsNothing() throws IOException {
        Path marker = dir.resolve("marker");
        Path file = recipe(LOCAL_FLEET + """
                cap.task("deploy", ctx -> ctx.run("touch %s"));
                """.formatted(marker));
        CliRun run = capstan(file, "-n", "deploy");
        assertThat(run.status()).isZero();
        assertThat(run.out()).contains("would run touch " + marker + "  [alpha, beta]");
        assertThat(marker).doesNotExist();
    }

    @Test
    void aDryRunDeployShowsTheLocalBuildThePackingAndTheUploadAndMakesNothing() throws IOException {
        Path app = Files.createDirectories(dir.resolve("app"));
        Files.writeString(app.resolve("index.html"), "hi\n");
        Path built = dir.resolve("built");
        Path file = recipe("""
                cap.load("deploy");
                cap.set("application", "drytest");
                cap.set("deploy_to", "%s");
                cap.set("repository", "%s");
                cap.set("build_command", "touch %s");
                cap.server("web1");
                """.formatted(dir.resolve("srv"), app, built));
        CliRun run = capstan(file, "-n", "deploy");
        assertThat(run.status()).as(run.err()).isZero();
        String tarball = Path.of(System.getProperty("java.io.tmpdir"), "drytest-release.tar.gz").toString();
        assertThat(run.out()).contains(
                "would run touch " + built + "  [localhost]",
                "would run tar czf " + tarball + " -C " + app + " .  [localhost]",
                "would run upload " + tarball + " -> " + dir.resolve("srv") + "/releases/.upload-");
        assertThat(built).doesNotExist();
        assertThat(Path.of(tarball)).doesNotExist();
        assertThat(dir.resolve("srv")).doesNotExist();

        // a directory the build is still to make is shown packed, as the real run will pack it
        Path dist = dir.resolve("dist");
        CliRun unbuilt = capstan(file, "-n", "-s", "repository=" + dist, "deploy");
        assertThat(unbuilt.status()).as(unbuilt.err()).isZero();
        assertThat(unbuilt.out()).contains("would run tar czf " + tarball + " -C " + dist + " .  [localhost]");
    }

    @Test
    void variablesFromTheCommandLineAreTypedAndOrdered() throws IOException {
        Path out = dir.resolve("vars");
        Path file = recipe(LOCAL_FLEET + """
                cap.set("branch", "main");
                cap.set("keep", cap.fetch("keep", 1));
                cap.task("show", t -> t.hosts("alpha"), ctx -> {
                    Object keep = ctx.fetch("keep");
                    Object verbose = ctx.fetch("verbose", false);
                    ctx.run("echo " + ctx.fetch("branch") + " " + keep.getClass().getSimpleName() + ":" + keep
                            + " " + verbose.getClass().getSimpleName() + ":" + verbose + " > %s");
                });
                """.formatted(out));
        // -S is set before the recipe (which reads it), -s after (and wins over the recipe)
        CliRun run = capstan(file, "-S", "keep=7", "-s", "branch=release", "-s", "verbose=true", "show");
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(out).hasContent("release Integer:7 Boolean:true");
    }

    @Test
    void hostsAndRolesFromEnvironmentAndOptions() throws IOException {
        Path out = dir.resolve("hosts");
        Path file = recipe(LOCAL_FLEET + """
                cap.task("who", ctx -> ctx.run("echo " + ctx.servers().stream().map(Server::host).toList() + " > %s"));
                """.formatted(out));
        assertThat(CliRun.of(cache, Map.of("ROLES", "db"), "-f", file.toString(), "--log", "none", "who").status()).isZero();
        assertThat(out).hasContent("[beta]");
        assertThat(CliRun.of(cache, Map.of("HOSTS", "alpha"), "-f", file.toString(), "--log", "none", "who").status()).isZero();
        assertThat(out).hasContent("[alpha]");
        assertThat(capstan(file, "--roles", "web", "who").status()).isZero();
        assertThat(out).hasContent("[alpha, beta]");
    }

    @Test
    void stageNamedFirstOnTheCommandLine() throws IOException {
        Path out = dir.resolve("stage");
        Path file = recipe("""
                cap.stage("production", st -> st.server("prod1").set("local", true));
                cap.stage("staging", st -> st.server("stage1").set("local", true));
                cap.task("where", ctx -> ctx.run("echo " + ctx.fetch("stage") + " " + ctx.servers().get(0).host() + " > %s"));
                """.formatted(out));
        assertThat(capstan(file, "staging", "where").status()).isZero();
        assertThat(out).hasContent("staging stage1");
        CliRun none = capstan(file, "where");
        assertThat(none.status()).isEqualTo(2);
        assertThat(none.err()).contains("this recipe has stages (production, staging): name one first");

        CliRun typo = capstan(file, "produciton", "where");
        assertThat(typo.status()).isEqualTo(2);
        assertThat(typo.err()).isEqualTo("capstan: unknown stage 'produciton'; did you mean 'production'? (stages: production, staging)\n");
        CliRun late = capstan(file, "where", "staging");
        assertThat(late.status()).isEqualTo(2);
        assertThat(late.err()).contains("'staging' is a stage: name it first");
        CliRun assignment = capstan(file, "staging", "where", "db_password=hunter2");
        assertThat(assignment.status()).isEqualTo(2);
        assertThat(assignment.err()).contains("'db_password=...' is not a task: variables are set with -s db_password=VALUE")
                .doesNotContain("hunter2");
        assertThat(out).hasContent("staging stage1"); // nothing ran

        // listing and explaining tasks needs no stage
        CliRun listing = capstan(file, "-T");
        assertThat(listing.status()).as(listing.err()).isZero();
        assertThat(listing.out()).contains("stages: production, staging (named first: capstan production TASK)");
        assertThat(capstan(file, "-e", "where").status()).isZero();
        assertThat(capstan(file, "staging", "-T").out()).contains("; listed for staging");
    }

    @Test
    void withoutATerminalAnAskedVariableTakesItsDefaultOrNamesMinusS() throws IOException {
        Path out = dir.resolve("asked");
        Path file = recipe(LOCAL_FLEET + """
                        cap.ask("branch", "main");
                        cap.ask("ticket", null);
                        cap.task("show", ctx -> ctx.run("echo " + ctx.fetch("branch") + " >> %s", o -> o.once()));
                        cap.task("file", ctx -> ctx.run("echo " + ctx.<String>fetch("ticket") + " >> %s", o -> o.once()));
                """.formatted(out, out));
        CliRun show = capstan(file, "show");
        assertThat(show.status()).as(show.err()).isZero();
        CliRun answered = capstan(file, "file", "-s", "ticket=OPS-7");
        assertThat(answered.status()).as(answered.err()).isZero();
        assertThat(Files.readAllLines(out)).containsExactly("main", "OPS-7");

        CliRun unanswered = capstan(file, "file");
        assertThat(unanswered.status()).isEqualTo(2);
        assertThat(unanswered.err()).contains("capstan: variable 'ticket' is asked on the terminal, and there is none:"
                + " give it with -s ticket=VALUE (Capfile.java:");
    }

    @Test
    void aMisspelledMinusSNameIsWarnedOfWithoutItsValue() throws IOException {
        Path file = recipe(LOCAL_FLEET + """
                        cap.set("release_tag", "v1");
                        cap.task("t", ctx -> { });
                """);
        CliRun run = capstan(file, "t", "-s", "conect_timeout=2", "-s", "release_tga=s3cr3t", "-s", "brand_new=1");
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.err()).contains(
                "capstan: warning: -s conect_timeout: capstan and the recipe use no variable of that name; did you mean"
                        + " connect_timeout?",
                "capstan: warning: -s release_tga: capstan and the recipe use no variable of that name; did you mean"
                        + " release_tag?")
                .doesNotContain("brand_new").doesNotContain("s3cr3t");
    }

    @Test
    void execRunsOneAdHocCommandOnTheSelectedServers() throws IOException {
        Path out = dir.resolve("exec");
        Path file = recipe(LOCAL_FLEET);
        CliRun run = capstan(file, "exec", "echo adhoc >> " + out, "--roles", "db");
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(Files.readAllLines(out)).containsExactly("adhoc");
    }

    @Test
    void execWithSudoRunsTheCommandAsCtxSudoDoes() throws IOException {
        Path file = recipe(LOCAL_FLEET);
        CliRun run = capstan(file, "-n", "exec", "--sudo", "systemctl restart nginx", "--roles", "db");
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out()).contains("sudo -p '[capstan] sudo password: ' -- sh -c 'systemctl restart nginx'")
                .contains("[beta]");
    }

    @Test
    void aStageBeforeExecIsChosenAndAnythingElseIsRefused() throws IOException {
        Path out = dir.resolve("exec-staged");
        Path file = recipe("""
                cap.stage("production", st -> st.server("prod1").set("local", true));
                        cap.stage("staging", st -> st.server("stage1").set("local", true));
                """);
        CliRun run = capstan(file, "production", "exec", "echo $HOSTNAME-adhoc >> " + out);
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out()).contains("[prod1]").doesNotContain("stage1");
        assertThat(Files.readAllLines(out)).hasSize(1);

        CliRun stray = capstan(file, "production", "deploy", "exec", "true");
        assertThat(stray.status()).isEqualTo(2);
        assertThat(stray.err()).isEqualTo("capstan: exec takes no tasks; 'deploy' before it is not a stage of the recipe"
                + " (capstan exec --help lists what it takes)\n");
    }

    @Test
    void theCompiledRecipeIsCachedByContent() throws IOException {
        Path file = recipe("cap.desc(\"x\"); cap.task(\"x\", ctx -> { });");
        assertThat(capstan(file, "-T").status()).isZero();
        try (var entries = Files.list(cache.resolve("capstan/recipes"))) {
            assertThat(entries.filter(p -> !p.getFileName().toString().startsWith("."))).hasSize(1);
        }
        Path compiled;
        try (var entries = Files.list(cache.resolve("capstan/recipes"))) {
            compiled = entries.findFirst().orElseThrow().resolve("Capfile.class");
        }
        long before = Files.getLastModifiedTime(compiled).toMillis();
        assertThat(capstan(file, "-T").status()).isZero();
        assertThat(Files.getLastModifiedTime(compiled).toMillis()).isEqualTo(before);
        // a changed recipe compiles into a new entry
        recipe("cap.desc(\"y\"); cap.task(\"y\", ctx -> { });");
        assertThat(capstan(file, "-T").out()).contains("capstan y");
        try (var entries = Files.list(cache.resolve("capstan/recipes"))) {
            assertThat(entries).hasSize(2);
        }
    }

    @Test
    void aCacheEntryIsUsedOnlyForTheRecipeItWasCompiledFrom() throws IOException {
        // Entries are named by a checksum; two recipes whose checksums collide must not share one. Simulated here by
        // putting recipe x's entry where recipe y's belongs.
        Path file = recipe("cap.desc(\"y\"); cap.task(\"y\", ctx -> { });");
        assertThat(capstan(file, "-T").out()).contains("capstan y");
        Path entryOfY = onlyCacheEntry();
        Path moved = entryOfY.resolveSibling("moved");
        Files.move(entryOfY, moved);
        recipe("cap.desc(\"x\"); cap.task(\"x\", ctx -> { });");
        assertThat(capstan(file, "-T").out()).contains("capstan x");
        Path entryOfX = onlyCacheEntry();
        try (var stale = Files.walk(moved)) {
            stale.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        Files.move(entryOfX, entryOfY);

        recipe("cap.desc(\"y\"); cap.task(\"y\", ctx -> { });");
        CliRun run = capstan(file, "-T");

        assertThat(run.out()).contains("capstan y").doesNotContain("capstan x");
        assertThat(cache.resolve("capstan/recipes").resolve(entryOfY.getFileName() + "-1")).isDirectory();
    }

    @Test
    void entriesUnusedForAMonthAreRemovedWhenAnotherRecipeIsCompiled() throws IOException {
        Path file = recipe("cap.desc(\"a\"); cap.task(\"a\", ctx -> { });");
        assertThat(capstan(file, "-T").status()).isZero();
        Path unused = onlyCacheEntry();
        age(unused.resolve("recipe-class"), java.time.Duration.ofDays(31));
        recipe("cap.desc(\"b\"); cap.task(\"b\", ctx -> { });");
        assertThat(capstan(file, "-T").status()).isZero();
        assertThat(unused).as("pruned when b was compiled").doesNotExist();
        Path usedLastMonth = onlyCacheEntry();
        age(usedLastMonth.resolve("recipe-class"), java.time.Duration.ofDays(29));
        Path abandoned = Files.createDirectories(cache.resolve("capstan/recipes/.compiling-1"));
        age(abandoned, java.time.Duration.ofDays(2));
        Path compiling = Files.createDirectories(cache.resolve("capstan/recipes/.compiling-2"));

        recipe("cap.desc(\"c\"); cap.task(\"c\", ctx -> { });");
        CliRun run = capstan(file, "-T");

        assertThat(run.out()).contains("capstan c");
        assertThat(usedLastMonth).as("used 29 days ago").isDirectory();
        assertThat(abandoned).as("a compile killed two days ago").doesNotExist();
        assertThat(compiling).as("a compile of another capstan, now").isDirectory();
        try (var entries = Files.list(cache.resolve("capstan/recipes"))) {
            assertThat(entries.filter(p -> !p.getFileName().toString().startsWith("."))).hasSize(2);
        }
    }

    @Test
    void aRunRecordsTheUseOfItsEntryOnceADay() throws IOException {
        Path file = recipe("cap.desc(\"a\"); cap.task(\"a\", ctx -> { });");
        assertThat(capstan(file, "-T").status()).isZero();
        Path marker = onlyCacheEntry().resolve("recipe-class");

        java.nio.file.attribute.FileTime anHourAgo = age(marker, java.time.Duration.ofHours(1));
        assertThat(capstan(file, "-T").out()).contains("capstan a");
        assertThat(Files.getLastModifiedTime(marker)).as("used within the day: not written").isEqualTo(anHourAgo);

        age(marker, java.time.Duration.ofDays(20));
        long before = System.currentTimeMillis();
        assertThat(capstan(file, "-T").out()).contains("capstan a");
        assertThat(Files.getLastModifiedTime(marker).toMillis()).as("last used 20 days ago").isGreaterThanOrEqualTo(before - 1000);
    }

    /** Sets the modification time of {@code path} to {@code age} ago, and returns it. */
    private static java.nio.file.attribute.FileTime age(Path path, java.time.Duration age) throws IOException {
        var time = java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - age.toMillis());
        Files.setLastModifiedTime(path, time);
        return time;
    }

    private Path onlyCacheEntry() throws IOException {
        try (var entries = Files.list(cache.resolve("capstan/recipes"))) {
            List<Path> found = entries.filter(p -> !p.getFileName().toString().startsWith(".")
                    && !p.getFileName().toString().equals("moved")).toList();
            assertThat(found).hasSize(1);
            return found.getFirst();
        }
    }

    @Test
    void noTaskNamedIsAUsageError() throws IOException {
        CliRun run = capstan(recipe(""));
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("capstan: no task named: capstan -T lists the documented tasks\n");
    }
}
