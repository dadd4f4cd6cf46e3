package dev.capstan.cli.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where compiled recipes are kept: the XDG rules, with the HOME the user's environment names. */
class RecipeCacheTest {
    private static final String RECIPE = """
            import dev.capstan.*;
            public class Capfile implements Recipe {
                public void define(Config cap) { cap.task("x", ctx -> { }); }
            }
            """;

    @TempDir
    Path dir;

    private static long cachedFiles(Path root) throws IOException {
        if (!Files.exists(root)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).count();
        }
    }

    @Test
    void theCacheGoesUnderHomeAsTheEnvironmentNamesIt() throws IOException {
        Path recipe = Files.writeString(dir.resolve("Capfile.java"), RECIPE);
        Path home = Files.createDirectories(dir.resolve("home"));
        RecipeCompiler.withDefaultCache(Map.of("HOME", home.toString())).load(recipe);
        assertThat(cachedFiles(home.resolve(".cache/capstan/recipes"))).isPositive();
    }

    @Test
    void xdgCacheHomeComesFirst() throws IOException {
        Path recipe = Files.writeString(dir.resolve("Capfile.java"), RECIPE);
        Path home = Files.createDirectories(dir.resolve("home"));
        Path xdg = dir.resolve("xdg");
        RecipeCompiler.withDefaultCache(Map.of("HOME", home.toString(), "XDG_CACHE_HOME", xdg.toString())).load(recipe);
        assertThat(cachedFiles(xdg.resolve("capstan/recipes"))).isPositive();
        assertThat(cachedFiles(home)).isZero();
    }
}
