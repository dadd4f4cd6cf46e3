package dev.capstan.cli.recipe;

import dev.capstan.CapstanException;
import dev.capstan.ConfigException;
import dev.capstan.Recipe;
import dev.capstan.UnknownTaskException;
import dev.capstan.event.EventSink;
import dev.capstan.event.SecretMasking;
import dev.capstan.model.Configuration;
import dev.capstan.model.Questions;
import dev.capstan.model.TaskNames;
import dev.capstan.transport.ssh.SshSettings;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns a recipe into a ready {@link Configuration}, in the order Capistrano users expect: {@code -S}
 * variables, the recipe, the stage (named first on the command line, else {@code default_stage}),
 * {@code -s} variables, then validation of callbacks.
 */
public final class RecipeLoader {
    private RecipeLoader() {
    }

    /**
     * The loaded recipe.
     *
     * @param tasks    what is left of the command line's words once the stage is taken off
     * @param warnings what the command line may have got wrong, to be shown before anything runs
     */
    public record Loaded(Configuration configuration, List<String> tasks, List<String> warnings) { }

    /** Loads the recipe to run the tasks {@code words} name, after a stage if they start with one. */
    public static Loaded load(Recipe recipe, String origin, List<Map.Entry<String, Object>> early,
                              List<Map.Entry<String, Object>> late, List<String> words) {
        return load(recipe, origin, early, late, words, true);
    }

    /**
     * @param stageNeeded whether a recipe with stages must have one chosen: not to list or explain its tasks
     *                    ({@code -T}, {@code -e}), which then shows those outside any stage
     */
    public static Loaded load(Recipe recipe, String origin, List<Map.Entry<String, Object>> early,
                              List<Map.Entry<String, Object>> late, List<String> words, boolean stageNeeded) {
        return load(recipe, origin, early, late, words, stageNeeded, Questions.NONE);
    }

    /** @param questions answers {@code cap.ask} for a variable the recipe fetches while it loads */
    public static Loaded load(Recipe recipe, String origin, List<Map.Entry<String, Object>> early,
                              List<Map.Entry<String, Object>> late, List<String> words, boolean stageNeeded,
                              Questions questions) {
        Configuration config = new Configuration();
        config.answerQuestionsWith(questions);
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
            boolean noStage = stage == null && !config.stageNames().isEmpty() && config.variables().get("default_stage") == null;
            if (noStage && stageNeeded) {
                refuseMisplacedStage(config, tasks);
            }
            if (!noStage || stageNeeded) {
                selectStage(config, stage, origin); // with no stage named or picked: the recipe's own refusal
            }
            List<String> warnings = misspelled(config, late);
            late.forEach(e -> config.set(e.getKey(), e.getValue()));
            config.validate();
            return new Loaded(config, tasks, warnings);
        } catch (ConfigException e) {
            // every message of a recipe that failed to load may quote a secret it had declared by then
            throw new ConfigException(secrets.mask(e.getMessage()), e);
        } catch (CapstanException e) {
            throw new CapstanException(secrets.mask(e.getMessage()), e);
        }
    }

    /**
     * {@code -s} names that neither capstan nor the recipe uses and that come close to one that is used
     * ({@code conect_timeout}): set, they would change nothing. Only names, never values, which may be secrets.
     */
    private static List<String> misspelled(Configuration config, List<Map.Entry<String, Object>> late) {
        List<String> warnings = new ArrayList<>();
        Set<String> used = null;
        for (Map.Entry<String, Object> assignment : late) {
            String name = assignment.getKey();
            if (config.exists(name) || CapstanVariables.NAMES.contains(name)) {
                continue;
            }
            if (used == null) {
                used = new TreeSet<>(CapstanVariables.NAMES);
                used.addAll(config.variables().names());
            }
            // a typo, not a variable the recipe reads only with a default: one letter off in a short name, two in a
            // long one (rev is not a typo of repo)
            int limit = name.length() < 8 ? 1 : 2;
            used.stream().filter(u -> TaskNames.distance(name, u) <= limit)
                    .min(Comparator.comparingInt((String u) -> TaskNames.distance(name, u))).ifPresent(close -> warnings.add(
                    "-s " + name + ": capstan and the recipe use no variable of that name; did you mean " + close + "?"));
        }
        return warnings;
    }

    /** The variables capstan itself reads: its SSH settings, and the run's own. */
    private static final class CapstanVariables {
        static final Set<String> NAMES = names();

        private static Set<String> names() {
            Set<String> names = new TreeSet<>(SshSettings.VARIABLES);
            names.addAll(List.of("parallelize_thread_count", "log_file", "default_stage", "sudo_password"));
            return Set.copyOf(names);
        }
    }

    /** A recipe with stages run without one: a stage written after the tasks, or a first word that is a mistyped stage. */
    private static void refuseMisplacedStage(Configuration config, List<String> words) {
        for (String word : words) {
            if (config.stageNames().contains(word)) {
                throw stageNotFirst(word);
            }
        }
        if (!words.isEmpty() && config.resolve(words.get(0), "").isEmpty()) {
            List<String> close = TaskNames.closest(words.get(0), config.stageNames());
            if (!close.isEmpty()) {
                throw new ConfigException("unknown stage '" + words.get(0) + "'; did you mean '" + close.get(0)
                        + "'? (stages: " + String.join(", ", config.stageNames()) + ")");
            }
        }
    }

    /**
     * Refuses, before anything runs, a command-line word that names no task: an unknown task (with the closest task
     * or stage names), a stage not written first, a Capistrano-style {@code NAME=value}.
     */
    public static void checkTasks(Loaded loaded) {
        Configuration config = loaded.configuration();
        SecretMasking secrets = new SecretMasking(EventSink.NONE, config.variables()::secretValues);
        try {
            loaded.tasks().forEach(word -> checkTaskWord(config, word));
        } catch (UnknownTaskException e) {
            throw e;
        } catch (ConfigException e) {
            throw new ConfigException(secrets.mask(e.getMessage()), e);
        }
    }

    private static void checkTaskWord(Configuration config, String word) {
        if (config.resolve(word, "").isPresent()) {
            return;
        }
        if (config.stageNames().contains(word)) {
            throw stageNotFirst(word);
        }
        int equals = word.indexOf('=');
        if (equals > 0) { // the value is left out: it may be a password
            String name = word.substring(0, equals);
            throw new ConfigException("'" + name + "=...' is not a task: variables are set with -s " + name
                    + "=VALUE (or -S, before the recipe loads)");
        }
        List<String> names = new ArrayList<>(config.invocableNames());
        names.addAll(config.stageNames());
        throw new UnknownTaskException(word, TaskNames.closest(word, names));
    }

    private static ConfigException stageNotFirst(String stage) {
        return new ConfigException("'" + stage + "' is a stage: name it first, before the tasks (capstan " + stage + " TASK)");
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

    /**
     * " (Capfile.java:12)": the recipe's own line nearest the failure, if the stack holds one; "" if not, or if the
     * message names it already.
     */
    public static String where(Throwable failure, String origin) {
        if (String.valueOf(failure.getMessage()).contains("(" + origin + ":")) {
            return "";
        }
        for (StackTraceElement frame : failure.getStackTrace()) {
            if (origin.equals(frame.getFileName()) && frame.getLineNumber() > 0) {
                return " (" + origin + ":" + frame.getLineNumber() + ")";
            }
        }
        return "";
    }
}
