package dev.capstan.cli.recipe;

import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads a compiled recipe's classes from its cache entry, and everything else from capstan's class loader. The recipe's
 * own classes are looked for here first: asked first, capstan's loader would search its whole class path for each of
 * them and fail, opening and indexing capstan's jar (12,000 entries) on the way, ~9 ms of a start.
 */
final class RecipeClassLoader extends URLClassLoader {

    static {
        registerAsParallelCapable();
    }

    private final Path classes;

    /** @param classes the cache entry's directory of class files */
    RecipeClassLoader(Path classes, ClassLoader parent) throws MalformedURLException {
        super(new URL[] {classes.toUri().toURL()}, parent);
        this.classes = classes;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (!isRecipeClass(name)) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> type = findLoadedClass(name);
            if (type == null) {
                type = findClass(name);
            }
            if (resolve) {
                resolveClass(type);
            }
            return type;
        }
    }

    /** Whether the cache entry holds a class file for {@code name}. */
    private boolean isRecipeClass(String name) {
        if (name.isEmpty() || name.contains("/") || name.contains("..")) {
            return false;
        }
        return Files.isRegularFile(classes.resolve(name.replace('.', '/') + ".class"));
    }
}
