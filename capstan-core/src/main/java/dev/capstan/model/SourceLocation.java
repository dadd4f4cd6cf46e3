package dev.capstan.model;

import java.util.Optional;

/** Where in a recipe something was declared, found by walking the stack to the first recipe frame. */
public final class SourceLocation {
    private SourceLocation() {
    }

    /** {@code Capfile.java:17}, for the recipe code that called into capstan, if any. */
    public static Optional<String> ofCaller() {
        return StackWalker.getInstance().walk(frames -> frames
                .filter(f -> !isCapstanInternal(f.getClassName()))
                .filter(f -> f.getFileName() != null)
                .findFirst()
                .map(f -> f.getFileName() + ":" + f.getLineNumber()));
    }

    /** " (Capfile.java:17)" or "" when no recipe frame is on the stack. */
    public static String suffix() {
        return ofCaller().map(where -> " (" + where + ")").orElse("");
    }

    private static boolean isCapstanInternal(String className) {
        return className.startsWith("dev.capstan.model.") || className.startsWith("dev.capstan.engine.")
                || className.startsWith("java.") || className.startsWith("jdk.") || className.startsWith("sun.")
                || className.startsWith("dev.capstan.cli.");
    }
}
