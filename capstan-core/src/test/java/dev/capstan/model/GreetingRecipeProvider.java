package dev.capstan.model;

import dev.capstan.Recipe;
import dev.capstan.spi.RecipeProvider;

/** A built-in recipe for tests, found through META-INF/services like capstan-deploy's. */
public final class GreetingRecipeProvider implements RecipeProvider {
    @Override
    public String name() {
        return "greeting";
    }

    @Override
    public Recipe recipe() {
        return cap -> {
            cap.desc("Say hello");
            cap.task("greet", ctx -> ctx.run("echo hello"));
        };
    }
}
