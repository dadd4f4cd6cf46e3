package dev.capstan.engine;

import dev.capstan.Config;
import dev.capstan.model.Configuration;
import dev.capstan.transport.Transport;
import java.util.List;
import java.util.function.Consumer;

/** Builds a configuration from a recipe lambda and runs tasks on it, recording events. */
final class EngineFixture {
    final Configuration config = new Configuration();
    final RecordingSink events = new RecordingSink();

    EngineFixture(Consumer<Config> recipe) {
        config.define("recipe", recipe::accept);
        config.validate();
    }

    void run(RunOptions options, String... tasks) {
        try (Engine engine = new Engine(config, options, EngineFixture::noRemote, events)) {
            engine.run(List.of(tasks));
        }
    }

    void run(String... tasks) {
        run(RunOptions.DEFAULT, tasks);
    }

    void dryRun(String... tasks) {
        run(new RunOptions(true, List.of(), List.of()), tasks);
    }

    private static Transport noRemote() {
        throw new AssertionError("these tests use local and dry-run servers only");
    }
}
