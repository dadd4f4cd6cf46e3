package dev.capstan.cli.recipe;

import dev.capstan.Recipe;
import dev.capstan.model.Configuration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a recipe into a ready {@link Configuration}, in the order Capistrano users expect: {@code -S}
 * variables, the recipe, the stage (named first on the command line, else {@code default_stage}),
 * {@code -s} variables, then validation of callbacks.
 */
public final class RecipeLoader {
    private RecipeLoader() {
    }

    /** What is left of the command line's words once the stage is taken off. */
    public record Loaded(Configuration configuration, List<String> tasks) { }

    public static Loaded load(Recipe recipe, String origin, List<Map.Entry<String, Object>> early,
                              List<Map.Entry<String, Object>> late, List<String> words) {
        Configuration config = new Configuration();
        early.forEach(e -> config.set(e.getKey(), e.getValue()));
        config.define(origin, recipe);
        List<String> tasks = new ArrayList<>(words);
        String stage = null;
        if (!tasks.isEmpty() && config.stageNames().contains(tasks.get(0))) {
            stage = tasks.remove(0);
        }
        config.selectStage(stage);
        late.forEach(e -> config.set(e.getKey(), e.getValue()));
        config.validate();
        return new Loaded(config, tasks);
    }
}
