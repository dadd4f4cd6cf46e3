package dev.capstan.model;

import java.util.Optional;

/** Where in a recipe something was declared, found by walking the stack to the first recipe frame. */
public final class SourceLocation {
    private SourceLocation() {
    }

    /** {@code Capfile.java:17}, for the recipe code that called into capstan, if any. */
    public static Optional<String> ofCaller() {
        return WALKER.walk(frames -> frames
                .filter(f -> !isCapstanInternal(f.getDeclaringClass()))
                .filter(f -> f.getFileName() != null)
                .findFirst()
                .map(f -> f.getFileName() + ":" + f.getLineNumber()));
    }

    /** " (Capfile.java:17)" or "" when no recipe frame is on the stack. */
    public static String suffix() {
        return ofCaller().map(where -> " (" + where + ")").orElse("");
    }

    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
    private static final java.security.CodeSource CORE = SourceLocation.class.getProtectionDomain().getCodeSource();

    /** The JDK, capstan's model and engine, and the CLI: frames that are never the recipe's own code. */
    private static boolean isCapstanInternal(Class<?> type) {
        String name = type.getName();
        if (type.getModule().isNamed() || name.startsWith("dev.capstan.cli.")) {
            return true;
        }
        boolean core = java.util.Objects.equals(type.getProtectionDomain().getCodeSource(), CORE);
        return core && (name.startsWith("dev.capstan.model.") || name.startsWith("dev.capstan.engine."));
    }
}
