package dev.capstan.spi;

import dev.capstan.Recipe;

/**
 * A built-in recipe that {@code cap.load(name)} finds through {@link java.util.ServiceLoader}: libraries
 * such as capstan-deploy list their providers in {@code META-INF/services/dev.capstan.spi.RecipeProvider}.
 */
public interface RecipeProvider {

    /** The name recipes load it by, e.g. {@code deploy}. */
    String name();

    /** The recipe itself. */
    Recipe recipe();
}
