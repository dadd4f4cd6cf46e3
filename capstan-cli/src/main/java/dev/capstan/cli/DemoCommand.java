package dev.capstan.cli;

import dev.capstan.CapstanException;
import dev.capstan.cli.output.ConsoleFormatter;
import dev.capstan.cli.recipe.RecipeCompiler;
import dev.capstan.cli.recipe.RecipeLoader;
import dev.capstan.engine.Engine;
import dev.capstan.engine.RunOptions;
import dev.capstan.event.EventSink;
import dev.capstan.model.Configuration;
import dev.capstan.testkit.SshTestFleet;
import dev.capstan.testkit.SshTestHost;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code capstan demo}: a whole deploy story on four embedded sandbox SSH hosts on loopback, with
 * throwaway keys, over real SSH: setup, two deploys, a parallel restart across roles, a deploy that fails
 * on one host and is rolled back on all four, and a rollback. Leaves nothing behind.
 */
final class DemoCommand implements Callable<Integer> {
    private static final List<String> NAMES = List.of("web1", "web2", "jobs1", "jobs2");

    private final Main main;

    DemoCommand(Main main) {
        this.main = main;
    }

    /** One step of the story: tasks, extra variables, and whether it is meant to fail. */
    private record Step(String title, List<String> tasks, Map<String, Object> variables, boolean failureExpected) { }

    @Override
    public Integer call() throws Exception {
        Integer refused = main.refuseTaskArguments("demo", false);
        if (refused != null) {
            return refused;
        }
        PrintStream out = main.out();
        Path work = Files.createTempDirectory("capstan-demo-");
        try (SshTestFleet fleet = SshTestFleet.start(4)) {
            Path recipe = copyResource("demo-Capfile.java.txt", work.resolve("Capfile.java"));
            Path app = sampleApp(work.resolve("shop"));
            out.println("capstan demo: 4 sandbox SSH hosts on 127.0.0.1 (throwaway keys, temporary directories)");
            for (int i = 0; i < NAMES.size(); i++) {
                SshTestHost host = fleet.host(i);
                out.println("  " + NAMES.get(i) + "  " + host.spec() + "  roles " + roles(i));
            }
            List<Step> steps = List.of(
                    new Step("set up the directory layout", List.of("deploy:setup", "deploy:check"), Map.of(), false),
                    new Step("deploy release 1", List.of("deploy"), Map.of(), false),
                    new Step("deploy release 2", List.of("deploy"), Map.of(), false),
                    new Step("restart web and daemons in parallel (parallelize)", List.of("restart_all"), Map.of(), false),
                    new Step("deploy release 3, which fails its smoke test on jobs2", List.of("deploy"), Map.of("break_host", "jobs2"), true),
                    new Step("roll back to release 1 (release 2 is marked bad)", List.of("deploy:rollback"), Map.of(), false),
                    new Step("list the releases on every host", List.of("deploy:releases"), Map.of(), false));
            int number = 0;
            for (Step step : steps) {
                number++;
                out.println();
                out.println("== " + number + ". " + step.title() + "  (capstan " + String.join(" ", step.tasks()) + ")");
                boolean failed = run(recipe, app, fleet, step);
                if (failed != step.failureExpected()) {
                    out.println("capstan demo: step " + number + (failed ? " failed" : " should have failed and did not"));
                    return Main.FAILED;
                }
                if (failed) {
                    out.println("   -> failed as intended and was rolled back on all four hosts; current is unchanged");
                }
                if (step.tasks().contains("deploy") && !step.failureExpected()) {
                    waitForNextSecond(); // release names have one-second resolution
                }
            }
            out.println();
            out.println("capstan demo: done; the sandbox hosts are stopped and their files removed");
            return Main.OK;
        } finally {
            deleteTree(work);
        }
    }

    private boolean run(Path recipe, Path app, SshTestFleet fleet, Step step) {
        Map<String, String> environment = main.environment();
        List<Map.Entry<String, Object>> early = List.of(Map.entry("demo_app", app.toString()));
        List<Map.Entry<String, Object>> late = new ArrayList<>(step.variables().entrySet());
        late.add(Map.entry("ssh_known_hosts", fleet.knownHostsFile().toString()));
        late.add(Map.entry("ssh_identity", fleet.identityFile().toString()));
        late.add(Map.entry("ssh_config", "none"));
        RecipeLoader.Loaded loaded = RecipeLoader.load(RecipeCompiler.withDefaultCache(environment).load(recipe),
                "Capfile.java", early, late, step.tasks());
        Configuration config = loaded.configuration();
        for (int i = 0; i < NAMES.size(); i++) {
            SshTestHost host = fleet.host(i);
            config.server(host.spec(), roles(i).toArray(String[]::new)).set("name", NAMES.get(i));
        }
        EventSink console = new ConsoleFormatter(main.out(), main.verbosity(), false);
        try (Engine engine = new Engine(config, RunOptions.DEFAULT, RemoteTransportFactory.forConfig(config, console,
                dev.capstan.transport.ssh.PassphrasePrompt.NONE), console)) {
            engine.run(loaded.tasks());
            return false;
        } catch (CapstanException e) {
            main.out().println("   capstan: " + e.getMessage().lines().findFirst().orElse(""));
            return true;
        }
    }

    private static List<String> roles(int index) {
        return index < 2 ? List.of("web", "app") : List.of("daemon", "app");
    }

    private static Path sampleApp(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("index.html"), "<html><head><title>shop</title></head><body>hello</body></html>\n");
        Files.writeString(dir.resolve("app.properties"), "greeting=hello\n");
        return dir;
    }

    private static Path copyResource(String name, Path target) throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from capstan's jar");
            }
            Files.write(target, in.readAllBytes());
        }
        return target;
    }

    private static void waitForNextSecond() throws InterruptedException {
        Thread.sleep(1050 - System.currentTimeMillis() % 1000);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
        }
    }
}
