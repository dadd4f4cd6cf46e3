package dev.capstan.cli.recipe;

import dev.capstan.ConfigException;
import java.util.List;

/** A recipe does not compile: each diagnostic as {@code file:line:column: message}. */
public final class RecipeCompileException extends ConfigException {
    private static final long serialVersionUID = 1L;

    private final List<String> diagnostics;

    public RecipeCompileException(List<String> diagnostics) {
        super(String.join("\n", diagnostics));
        this.diagnostics = List.copyOf(diagnostics);
    }

    public List<String> diagnostics() {
        return diagnostics;
    }
}
