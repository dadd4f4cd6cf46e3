package dev.capstan.deploy;

import dev.capstan.Config;
import dev.capstan.engine.Engine;
import dev.capstan.engine.RunOptions;
import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import dev.capstan.model.Configuration;
import dev.capstan.transport.Transport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Deploys a small application from a local directory to several "hosts": local servers, each with its own
 * deploy_to under a temporary directory (a server-level value), or remote ones given by a transport.
 */
final class DeployFixture {
    final Path root;
    final Path app;
    final List<String> hosts;
    /** Every event of the runs; read while a run adds to it (awaitCommand), so a copy-on-write list. */
    final List<Event> events = new CopyOnWriteArrayList<>();
    private final Supplier<Transport> remote;
    private final Consumer<Config> extra;
    private final java.util.function.IntFunction<Path> deployTo;

    DeployFixture(Path root, int count, Consumer<Config> extra) throws IOException {
        this(root, hosts(count), null, extra);
    }

    DeployFixture(Path root, List<String> hosts, Supplier<Transport> remote, Consumer<Config> extra) throws IOException {
        this(root, hosts, remote, extra, i -> root.resolve("srv-" + (i + 1)));
    }

    DeployFixture(Path root, List<String> hosts, Supplier<Transport> remote, Consumer<Config> extra,
                  java.util.function.IntFunction<Path> deployTo) throws IOException {
        this.deployTo = deployTo;
        this.root = root;
        this.hosts = hosts;
        this.remote = remote;
        this.extra = extra;
        this.app = Files.createDirectories(root.resolve("app"));
        Files.writeString(app.resolve("index.html"), "v1\n");
    }

    private static List<String> hosts(int count) {
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            names.add("host" + i);
        }
        return names;
    }

    Path deployTo(int host) {
        return deployTo.apply(host);
    }

    /** Runs tasks in a fresh run, like one capstan invocation; returns the error, if any. */
    RuntimeException run(String... tasks) {
        Configuration config = new Configuration();
        config.define("recipe", cap -> {
            cap.load("deploy");
            cap.set("application", "shop");
            cap.set("repository", app.toString());
            for (int i = 0; i < hosts.size(); i++) {
                var server = cap.server(hosts.get(i), "app", "web").set("deploy_to", deployTo(i).toString());
                if (remote == null) {
                    server.set("local", true);
                }
            }
            extra.accept(cap);
        });
        config.validate();
        EventSink sink = events::add;
        Supplier<Transport> transports = remote != null ? remote : () -> {
            throw new AssertionError("local servers only");
        };
        try (Engine engine = new Engine(config, RunOptions.DEFAULT, transports, sink)) {
            engine.run(List.of(tasks));
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }

    /** The release current points at on one host, or null. */
    String current(int host) throws IOException {
        Path current = deployTo(host).resolve("current");
        return Files.isSymbolicLink(current) ? Files.readSymbolicLink(current).getFileName().toString() : null;
    }

    List<String> releases(int host) throws IOException {
        try (var list = Files.list(deployTo(host).resolve("releases"))) {
            return list.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d{14}")).sorted().toList();
        }
    }

    static void nextSecond() throws InterruptedException {
        // release names have one-second resolution
        Thread.sleep(1100 - System.currentTimeMillis() % 1000);
    }
}
