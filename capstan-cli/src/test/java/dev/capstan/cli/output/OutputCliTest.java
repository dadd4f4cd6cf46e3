package dev.capstan.cli.output;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The capstan command run in-process on local servers: what reaches the console, the log file and the JSON log. */
class OutputCliTest {
    private static final String SECRET = "hunter2-xyz";

    @TempDir
    Path dir;
    Path cache;

    /** One run: exit status and what it printed. */
    private record Run(int status, String out, String err) { }

    @BeforeEach
    void cacheDir() throws IOException {
        cache = Files.createDirectories(dir.resolve("cache"));
    }

    private Path recipe(String body) throws IOException {
        return Files.writeString(dir.resolve("Capfile.java"), "import dev.capstan.*;\n\npublic class Capfile implements Recipe {\n"
                + "    @Override\n    public void define(Config cap) {\n" + body + "\n    }\n}\n");
    }

    private Run capstan(Path recipe, String... args) {
        List<String> all = new ArrayList<>(List.of("-f", recipe.toString()));
        all.addAll(List.of(args));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = Main.run(all.toArray(String[]::new), o, e, Map.of("XDG_CACHE_HOME", cache.toString()));
        }
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static final String FLEET = """
                    cap.server("alpha").set("local", true);
                    cap.server("beta").set("local", true);
            """;

    @Test
    void aSecretNeverReachesTheConsoleTheLogOrTheJson() throws IOException {
        Path file = recipe(FLEET + """
                cap.secret("db_password", "%1$s");
                cap.task("leak", ctx -> {
                    ctx.run("echo %1$s");
                    ctx.run("echo the password is %1$s >&2; exit 4", o -> o.hosts("beta"));
                });
                cap.task("crash", ctx -> {
                    ctx.run("echo %1$s");
                    throw new IllegalStateException("bug with %1$s");
                });
                """.formatted(SECRET));
        List<List<String>> variants = List.of(List.of(), List.of("-vv"), List.of("-q"), List.of("--grouped", "-v"));
        int n = 0;
        for (List<String> variant : variants) {
            for (String task : List.of("leak", "crash")) {
                n++;
                Path log = dir.resolve("capstan-" + n + ".log");
                Path json = dir.resolve("events-" + n + ".json");
                List<String> args = new ArrayList<>(List.of("--log", log.toString(), "--json", json.toString()));
                args.addAll(variant);
                args.add(task);
                Run run = capstan(file, args.toArray(String[]::new));
                String what = task + " " + variant;
                assertThat(run.status()).as(what).isEqualTo(1);
                for (String text : List.of(run.out(), run.err(), Files.readString(log), Files.readString(json))) {
                    assertThat(text).as(what).doesNotContain(SECRET).contains("****");
                }
            }
        }
        Run leak = capstan(file, "--log", "none", "leak");
        assertThat(leak.out()).contains("alpha │ ****", "$ echo the password is **** >&2; exit 4  [beta]", "beta ! the password is ****");
        assertThat(leak.err()).contains("capstan: `echo the password is **** >&2; exit 4` failed on 1 host: beta");
        assertThat(capstan(file, "--log", "none", "crash").err()).contains("capstan: java.lang.IllegalStateException: bug with ****");
    }

    @Test
    void aSecretInTheFormsItTakesNeverReachesOutput() throws IOException {
        Path file = recipe(FLEET + """
                cap.secret("token", "it's-S3cr3t");
                cap.secret("db_password", "DefaultPw1");
                cap.server("beta").set("db_password", "BetaOnlyPw2");
                cap.secret("deploy_key", "-----BEGIN KEY-----\\nMULTILINESECRETbody\\n-----END KEY-----\\n");
                cap.desc("Clone with " + cap.fetch("token"));
                cap.task("quoted", ctx -> ctx.run("echo " + Shell.quote("ci:" + ctx.<String>fetch("token")) + "; exit 3"));
                cap.task("perhost", ctx -> ctx.run(s -> "echo -p" + ctx.fetch(s, "db_password", null)));
                cap.task("key", ctx -> ctx.run("printf '%s' \\"$KEY\\"; exit 3", o -> o.env("KEY", ctx.fetch("deploy_key"))));
                cap.task("wiped", ctx -> {
                    try {
                        ctx.run("echo " + ctx.fetch("token").hashCode() + " " + ctx.fetch("db_password") + "; exit 3");
                    } finally {
                        ctx.set("db_password", null);
                    }
                });
                cap.task("blocks", ctx -> ctx.parallelize(b -> b.run("push " + ctx.fetch("db_password"), c -> c.run("true"))));
                cap.task("asserts", ctx -> {
                    throw new AssertionError("health check with " + ctx.fetch("db_password") + " said no");
                });
                cap.task("sudoer", ctx -> ctx.run("echo " + ctx.fetch("sudo_password")));
                // quoted by its first 100 characters: the cut falls inside the secret
                cap.task("long", ctx -> ctx.run("echo " + "y".repeat(89) + " " + ctx.fetch("db_password") + " " + "x".repeat(90)
                        + "; exit 3"));
                """);
        String[] secrets = {"S3cr3t", "DefaultPw1", "BetaOnlyPw2", "MULTILINESECRETbody", "wrongpw2", "Defau"};
        for (String task : List.of("quoted", "perhost", "key", "wiped", "blocks", "asserts", "sudoer", "long")) {
            Path log = dir.resolve(task + ".log");
            Path json = dir.resolve(task + ".json");
            Run run = capstan(file, "--log", log.toString(), "--json", json.toString(), "-v", "-s", "sudo_password=wrongpw2", task);
            assertThat(Files.readString(log)).as(task).contains("task_started task=" + task);
            for (String text : List.of(run.out(), run.err(), Files.readString(log), Files.readString(json))) {
                assertThat(text).as(task).doesNotContain(secrets).doesNotContain("at dev.capstan", "Exception in thread");
            }
        }
        Run asserts = capstan(file, "--log", "none", "asserts");
        assertThat(asserts.status()).isEqualTo(1);
        assertThat(asserts.err()).endsWith("capstan: java.lang.AssertionError: health check with **** said no (Capfile.java:25)\n");
        assertThat(asserts.out()).contains("Summary: FAILED");
        assertThat(capstan(file, "-T").out()).contains("Clone with ****").doesNotContain("S3cr3t");
    }

    @Test
    void aWarningOfARecipeShowsEvenUnderQuietWhereItsLogDoesNot() throws IOException {
        Path file = recipe(FLEET + """
                cap.task("note", ctx -> {
                    ctx.log("a detail");
                    ctx.warn("release 7 is live");
                });
                """);
        Run quiet = capstan(file, "--log", "none", "-q", "note");
        assertThat(quiet.status()).isZero();
        assertThat(quiet.out() + quiet.err()).contains("warning: release 7 is live").doesNotContain("a detail");
    }

    @Test
    void hostsWhoseNamesAreSecretAreNeverMergedIntoARangeThatShowsThem() throws IOException {
        Path file = recipe("""
                cap.secret("db_host", "db-hidden-7.corp");
                cap.secret("replica_host", "db-hidden-8.corp");
                cap.server(cap.<String>fetch("db_host")).set("local", true);
                cap.server(cap.<String>fetch("replica_host")).set("local", true);
                cap.server("web1").set("local", true);
                cap.server("web2").set("local", true);
                cap.task("check", ctx -> ctx.run("echo same; exit 3"));
                """);
        for (List<String> variant : List.<List<String>>of(List.of(), List.of("--grouped"), List.of("-q"))) {
            List<String> args = new ArrayList<>(List.of("--log", "none"));
            args.addAll(variant);
            args.add("check");
            Run run = capstan(file, args.toArray(String[]::new));
            assertThat(run.status()).as(variant.toString()).isEqualTo(1);
            assertThat(run.out() + run.err()).as(variant.toString()).doesNotContain("hidden", "[7-8]")
                    .contains("web[1-2]", "****");
        }
    }

    @Test
    void aShortSecretLeavesTheJsonLogValid() throws IOException {
        Path file = recipe(FLEET + """
                cap.secret("pin", "1");
                cap.secret("quote", "\\"");
                cap.task("t", ctx -> ctx.run("echo 1; echo '\\"'; sleep 0.01; exit 1"));
                """);
        Path json = dir.resolve("events.json");
        Run run = capstan(file, "--log", "none", "--json", json.toString(), "t");
        assertThat(run.status()).isEqualTo(1);
        List<String> lines = Files.readAllLines(json);
        assertThat(lines).isNotEmpty().allSatisfy(line -> assertThat(MiniJson.parse(line)).isInstanceOf(Map.class));
        assertThat(String.join("\n", lines)).contains("\"line\":\"****\"").contains("\"exit\":1");
    }

    @Test
    void theLogFileGetsEveryEventEvenWhenTheConsoleIsQuiet() throws IOException {
        Path file = recipe(FLEET + """
                cap.task("hello", ctx -> ctx.run("echo hello from the task"));
                """);
        Path log = dir.resolve("logs/capstan.log");
        Run run = capstan(file, "-q", "--log", log.toString(), "hello");
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out()).doesNotContain("hello from the task").doesNotContain("$ echo")
                .startsWith("Summary: ok in ").contains("  ✓ hello", "  hosts: 2 ok", "    ✓ alpha, beta");
        assertThat(run.err()).isEmpty();
        List<String> lines = Files.readAllLines(log);
        assertThat(lines).allMatch(l -> l.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z [a-z_]+( .*)?"));
        assertThat(String.join("\n", lines)).contains(" run_started dry_run=false", " task_started task=hello depth=0 hosts=alpha,beta",
                " command_started id=1 task=hello command=\"echo hello from the task\" hosts=alpha,beta",
                " output_line id=1 host=alpha stream=stdout line=\"hello from the task\"",
                " output_line id=1 host=beta stream=stdout line=\"hello from the task\"",
                " command_finished id=1 host=beta exit=0 duration_ms=", " run_finished exit=0").doesNotContain("\u001B");
        // appended: a second run adds to the same file
        assertThat(capstan(file, "-q", "--log", log.toString(), "hello").status()).isZero();
        assertThat(Files.readAllLines(log).stream().filter(l -> l.contains(" run_started ")).count()).isEqualTo(2);
    }

    @Test
    void theRecipeChoosesTheLogFileTheOptionWinsAndNoneTurnsItOff() throws IOException {
        Path fromRecipe = dir.resolve("var/log/deploy.log");
        Path file = recipe(FLEET + """
                cap.set("log_file", "%s");
                cap.task("hello", ctx -> ctx.run("true"));
                """.formatted(fromRecipe));
        assertThat(capstan(file, "hello").status()).isZero();
        assertThat(fromRecipe).content().contains("task_started task=hello");
        Path option = dir.resolve("option.log");
        assertThat(capstan(file, "--log", option.toString(), "hello").status()).isZero();
        assertThat(option).content().contains("task_started task=hello");
        Files.delete(fromRecipe);
        assertThat(capstan(file, "--log", "none", "hello").status()).isZero();
        assertThat(fromRecipe).doesNotExist();
    }

    @Test
    void aLogFileThatCannotBeWrittenIsAWarningOnly() throws IOException {
        Path file = recipe(FLEET + "cap.task(\"hello\", ctx -> ctx.run(\"true\"));");
        Path blocked = Files.writeString(dir.resolve("not-a-dir"), "");
        Run run = capstan(file, "--log", blocked.resolve("capstan.log").toString(), "hello");
        assertThat(run.status()).isZero();
        assertThat(run.err()).startsWith("capstan: warning: cannot write the log file ").contains("--log none");
    }

    @Test
    void theJsonLogHasOneParsableObjectPerEvent() throws IOException {
        Path file = recipe(FLEET + """
                cap.task("hello", ctx -> ctx.run("printf '%s\\\\n' '\\"quoted\\" \\\\ back'"));
                """);
        Path json = dir.resolve("events.json");
        Run run = capstan(file, "--log", "none", "--json", json.toString(), "hello");
        assertThat(run.status()).as(run.err()).isZero();
        List<Map<String, Object>> events = Files.readAllLines(json).stream().map(MiniJson::object).toList();
        assertThat(events).extracting(e -> e.get("type")).startsWith("run_started", "task_started", "command_started")
                .endsWith("task_finished", "run_finished")
                .containsOnly("run_started", "task_started", "command_started", "output_line", "command_finished",
                        "task_finished", "run_finished");
        assertThat(events).filteredOn(e -> e.get("type").equals("output_line"))
                .extracting(e -> e.get("host") + " " + e.get("stream") + " " + e.get("line"))
                .containsExactlyInAnyOrder("alpha stdout \"quoted\" \\ back", "beta stdout \"quoted\" \\ back");
        assertThat(events.get(2)).containsEntry("hosts", List.of("alpha", "beta")).containsEntry("task", "hello");
        assertThat(events).allSatisfy(e -> assertThat((String) e.get("time")).matches("\\d{4}-.*T.*Z"));
        assertThat(events.get(events.size() - 1)).containsEntry("exit", 0L).doesNotContainKey("error");

        Path failed = recipe(FLEET + "cap.task(\"hello\", ctx -> ctx.run(\"exit 3\"));");
        assertThat(capstan(failed, "--log", "none", "--json", json.toString(), "hello").status()).isEqualTo(1);
        Map<String, Object> last = MiniJson.object(Files.readAllLines(json).getLast());
        assertThat(last).containsEntry("type", "run_finished").containsEntry("exit", 1L);
        assertThat((String) last.get("error")).startsWith("`exit 3` failed on 2 hosts");
    }

    @Test
    void aJsonLogThatCannotBeCreatedIsAUsageError() throws IOException {
        Path file = recipe(FLEET + "cap.task(\"hello\", ctx -> ctx.run(\"true\"));");
        Path blocked = Files.writeString(dir.resolve("not-a-dir"), "");
        Run run = capstan(file, "--log", "none", "--json", blocked.resolve("events.json").toString(), "hello");
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err()).startsWith("capstan: --json: cannot write ").contains("events.json");
    }

    @Test
    void groupedPrintsIdenticalOutputOnceUnderACompressedHostList() throws IOException {
        Path file = recipe("""
                for (int i = 1; i <= 4; i++) {
                    cap.server("web" + i, "web").set("local", true);
                }
                cap.server("db1", "db").set("local", true);
                cap.task("uname", ctx -> {
                    ctx.run("echo same", o -> o.roles("web"));
                    ctx.run("echo only-db >&2", o -> o.roles("db"));
                });
                """);
        Run run = capstan(file, "--log", "none", "--grouped", "uname");
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out()).contains("▶ uname  (web[1-4], db1)\n  $ echo same  [web[1-4]]\n    web[1-4] │ same\n",
                "  $ echo only-db >&2  [db1]\n    db1 ! only-db\n");
        assertThat(run.out().lines().filter(l -> l.contains("│ same")).count()).isEqualTo(1);
    }

    @Test
    void theSummaryFollowsAFailedRunAndTheErrorComesLast() throws IOException {
        Path file = recipe(FLEET + """
                cap.task("broken", ctx -> ctx.transaction(() -> {
                    ctx.onRollback(() -> ctx.run("echo undone"));
                    ctx.run("echo bad >&2; exit 7", o -> o.hosts("beta"));
                }));
                """);
        Run run = capstan(file, "--log", "none", "broken");
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.out()).contains("↺ ROLLBACK of broken (1 handler)", "\nSummary: FAILED after ", "  hosts: 1 ok, 1 failed",
                "    ✓ alpha\n", "    ✗ beta  exit status 7 in `echo bad >&2; exit 7`: bad\n", "↺ rolled back: 1 handler ran");
        assertThat(run.err()).startsWith("capstan: `echo bad >&2; exit 7` failed on 1 host: beta");
        assertThat(run.out()).doesNotContain("\u001B");
    }

    @Test
    void escapeCodesFromRemoteOutputReachNeitherPipedStream() throws IOException {
        Path file = recipe(FLEET + """
                cap.task("red", ctx -> ctx.run("printf '\\033[31mred alert\\033[0m\\n' >&2; exit 5", o -> o.hosts("beta")));
                """);
        Run run = capstan(file, "--log", "none", "-v", "red");
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.out()).contains("beta ! red alert", "✗ beta   exit status 5 in `printf", "· alpha  nothing ran").doesNotContain("\u001B");
        assertThat(run.err()).contains("    red alert").doesNotContain("\u001B");
    }

    @Test
    void nothingRanNoSummary() throws IOException {
        Path file = recipe(FLEET + "cap.task(\"hello\", ctx -> { });");
        Run run = capstan(file, "--log", "none", "nope");
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
    }
}
