package dev.capstan.cli;

import dev.capstan.ConfigException;
import dev.capstan.cli.recipe.RecipeLoader;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code capstan exec 'uptime' --roles web}: one ad hoc command on the selected servers of the recipe. */
@Command(name = "exec", description = "Run one shell command on the selected servers (all unless --hosts/--roles).")
final class ExecCommand implements Callable<Integer> {

    @ParentCommand
    Main main;

    @Parameters(paramLabel = "COMMAND", arity = "1", description = "The shell command.")
    String command;

    @Override
    public Integer call() {
        return main.guarded(() -> {
            if (command.isBlank()) {
                throw new ConfigException("exec: the command is empty");
            }
            RecipeLoader.Loaded loaded = main.loadRecipe(List.of());
            return main.runEngine(loaded.configuration(), engine -> engine.exec(command));
        });
    }
}
