package dev.capstan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code capstan init}: a starter recipe that compiles, lists the deploy tasks, and is never overwritten. */
class InitTest {

    @Test
    void writesACommentedRecipeThatCompilesAndListsTheDeployTasks(@TempDir Path dir) throws Exception {
        Path recipe = dir.resolve("Capfile.java");
        CliRun init = CliRun.of(dir.resolve("cache"), "-f", recipe.toString(), "init");
        assertThat(init.status()).as(init.err()).isZero();
        assertThat(init.out()).contains("wrote " + recipe);
        assertThat(Files.readString(recipe)).contains("cap.load(\"deploy\")", "systemctl restart", "restart_limit");

        CliRun tasks = CliRun.of(dir.resolve("cache"), "-f", recipe.toString(), "-T");
        assertThat(tasks.status()).as(tasks.err()).isZero();
        assertThat(tasks.out()).contains("capstan deploy ", "capstan deploy:rollback", "capstan deploy:setup", "capstan status");

        String before = Files.readString(recipe);
        CliRun again = CliRun.of(dir.resolve("cache"), "-f", recipe.toString(), "init");
        assertThat(again.status()).isEqualTo(2);
        assertThat(again.err()).contains("already exists; not overwriting it");
        assertThat(recipe).hasContent(before);
    }
}
