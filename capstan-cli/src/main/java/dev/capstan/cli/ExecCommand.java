package dev.capstan.cli;

import dev.capstan.ConfigException;
import dev.capstan.cli.recipe.RecipeLoader;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code capstan exec 'uptime' --roles web}: one ad hoc command on the selected servers of the recipe; with
 * {@code --hosts} it needs no recipe.
 */
final class ExecCommand implements Callable<Integer> {
    private final Main main;
    String command;
    boolean sudo;

    ExecCommand(Main main) {
        this.main = main;
    }

    @Override
    public Integer call() {
        List<String> words = List.copyOf(main.words);
        main.words.clear(); // a stage may come before exec (capstan production exec 'uptime'), nothing else
        Integer refused = main.refuseTaskArguments("exec", true);
        if (refused != null) {
            return refused;
        }
        return main.guarded(() -> {
            if (command.isBlank()) {
                throw new ConfigException("exec: the command is empty");
            }
            RecipeLoader.Loaded loaded = main.loadRecipeForAdHocHosts(words);
            if (!loaded.tasks().isEmpty()) {
                throw new ConfigException("exec takes no tasks; '" + String.join(" ", loaded.tasks()) + "' before it is"
                        + " not a stage of the recipe (capstan exec --help lists what it takes)");
            }
            return main.runEngine(loaded.configuration(), engine -> engine.exec(command, sudo));
        });
    }
}
