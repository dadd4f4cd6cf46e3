package dev.capstan.cli.recipe;

import dev.capstan.CapstanException;
import dev.capstan.ConfigException;
import dev.capstan.Recipe;
import dev.capstan.event.EventSink;
import dev.capstan.event.SecretMasking;
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
        SecretMasking secrets = new SecretMasking(EventSink.NONE, config.variables()::secretValues);
        try {
            early.forEach(e -> config.set(e.getKey(), e.getValue()));
            try {
                config.define(origin, recipe);
            } catch (CapstanException e) {
                throw e; // capstan's own: it says what and where already
            } catch (Exception | Error e) { // checked ones too: a recipe may throw them sneakily
                // The recipe's own code failed: a bad recipe, like one that does not compile.
                throw new ConfigException("the recipe failed while loading: " + e + where(e, origin), e);
            }
            List<String> tasks = new ArrayList<>(words);
            String stage = null;
            if (!tasks.isEmpty() && config.stageNames().contains(tasks.get(0))) {
                stage = tasks.remove(0);
            }
            selectStage(config, stage, origin);
            late.forEach(e -> config.set(e.getKey(), e.getValue()));
            config.validate();
            return new Loaded(config, tasks);
        } catch (ConfigException e) {
            // every message of a recipe that failed to load may quote a secret it had declared by then
            throw new ConfigException(secrets.mask(e.getMessage()), e);
        } catch (CapstanException e) {
            throw new CapstanException(secrets.mask(e.getMessage()), e);
        }
    }

    /** Runs the chosen stage's body, which is recipe code like {@code define}. */
    private static void selectStage(Configuration config, String stage, String origin) {
        try {
            config.selectStage(stage);
        } catch (CapstanException e) {
            throw e;
        } catch (Exception | Error e) { // checked ones too: a recipe may throw them sneakily
            throw new ConfigException("the recipe's stage failed while loading: " + e + where(e, origin), e);
        }
    }

    /** " (Capfile.java:12)": the recipe's own line nearest the failure, if the stack holds one. */
    private static String where(Throwable failure, String origin) {
        for (StackTraceElement frame : failure.getStackTrace()) {
            if (origin.equals(frame.getFileName()) && frame.getLineNumber() > 0) {
                return " (" + origin + ":" + frame.getLineNumber() + ")";
            }
        }
        return "";
    }
}
