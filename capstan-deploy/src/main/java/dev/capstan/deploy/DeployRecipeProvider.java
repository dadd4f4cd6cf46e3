package dev.capstan.deploy;

import dev.capstan.Recipe;
import dev.capstan.spi.RecipeProvider;

/** Makes the deploy recipe loadable as {@code cap.load("deploy")}. */
public final class DeployRecipeProvider implements RecipeProvider {
    @Override
    public String name() {
        return "deploy";
    }

    @Override
    public Recipe recipe() {
        return new DeployRecipe();
    }
}
