package dev.capstan.cli.recipe;

import dev.capstan.ConfigException;
import dev.capstan.Recipe;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URLClassLoader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Compiles a recipe file ({@code Capfile.java}) in-process with the JDK compiler against capstan's own
 * classes, caches the classes by the source (and capstan's and Java's versions), and loads
 * the recipe class. A warm start loads straight from the cache and never starts the compiler.
 *
 * <p>An edited recipe, or a new capstan or Java, gets a new entry, and the old one is never used again: entries that no
 * run has used for {@link #UNUSED_FOR} are removed whenever a new one is compiled.
 */
public final class RecipeCompiler {
    private static final String MARKER = "recipe-class";
    /** Beside the classes: what they were compiled from ({@link #identity}). */
    private static final String IDENTITY = "recipe-identity";
    /** Entries unused for this long are removed when another is compiled. */
    private static final Duration UNUSED_FOR = Duration.ofDays(30);
    /** How often an entry in use has its marker's time brought up to date: a write a day at most, not one a start. */
    private static final Duration USE_RECORDED_EVERY = Duration.ofDays(1);
    /** Directories a killed compile or prune left behind are removed once this old. */
    private static final Duration ABANDONED_AFTER = Duration.ofDays(1);
    private static final String COMPILING = ".compiling-";
    private static final String PRUNING = ".pruning-";

    private final Path cacheRoot;

    public RecipeCompiler(Path cacheRoot) {
        this.cacheRoot = cacheRoot;
    }

    /**
     * The default cache: {@code $XDG_CACHE_HOME/capstan/recipes}, else {@code $HOME/.cache/capstan/recipes} (as the XDG
     * rules say; the JVM's user.home, the password file's home, only without HOME).
     */
    public static RecipeCompiler withDefaultCache(java.util.Map<String, String> environment) {
        String xdg = environment.get("XDG_CACHE_HOME");
        String home = environment.get("HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"), ".cache");
        return new RecipeCompiler(base.resolve("capstan").resolve("recipes"));
    }

    /** Compiles (or finds in the cache) and instantiates the recipe in {@code file}. */
    public Recipe load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("recipe file " + file + " not found"
                    + (file.getFileName().toString().equals("Capfile.java") ? " (run capstan init to write one, or pass -f FILE)" : ""));
        }
        byte[] source;
        try {
            source = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException("cannot read recipe " + file + ": " + e.getMessage());
        }
        byte[] identity = identity(file, source);
        Path classes = entryFor(identity);
        for (int attempt = 1; ; attempt++) {
            boolean cached = usable(classes);
            if (!cached) {
                compile(file, classes, identity);
                prune(classes);
            }
            try {
                return instantiate(file, classes);
            } catch (NoSuchFileException e) {
                if (!cached || attempt > 1) {
                    throw new UncheckedIOException("cannot load the compiled recipe from " + classes, e);
                }
                // pruned by another capstan between the look and the load (it had gone unused for a month): compiled
                // again
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load the compiled recipe from " + classes, e);
            }
        }
    }

    /**
     * Whether the entry can be loaded (its marker, written last, is there), recording the use: the marker's
     * modification time, brought up to date once a day at most, is what {@link #prune} goes by. A cache this user cannot
     * write to is used all the same.
     */
    private static boolean usable(Path entry) {
        Path marker = entry.resolve(MARKER);
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(marker, BasicFileAttributes.class);
        } catch (IOException e) {
            return false;
        }
        if (!attributes.isRegularFile()) {
            return false;
        }
        long now = System.currentTimeMillis();
        if (attributes.lastModifiedTime().toMillis() < now - USE_RECORDED_EVERY.toMillis()) {
            try {
                Files.setLastModifiedTime(marker, FileTime.fromMillis(now));
            } catch (IOException e) {
                // a read-only cache: the entry is still good, it only cannot record its use
            }
        }
        return true;
    }

    /**
     * Removes the entries that no run has used for {@link #UNUSED_FOR}, and the directories a killed compile or prune
     * left behind. Called after a compile, which takes a second anyway; what cannot be removed is left for the next.
     * An entry is first renamed out of the way, so that a run never loads from a half-deleted one.
     */
    private void prune(Path keep) {
        long now = System.currentTimeMillis();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(cacheRoot)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                boolean leftBehind = name.startsWith(COMPILING) || name.startsWith(PRUNING);
                Path marker = entry.resolve(MARKER);
                Path stamp = leftBehind || !Files.isRegularFile(marker) ? entry : marker;
                try {
                    long age = now - Files.getLastModifiedTime(stamp).toMillis();
                    if (!entry.equals(keep) && age > (leftBehind ? ABANDONED_AFTER : UNUSED_FOR).toMillis()) {
                        remove(entry, leftBehind);
                    }
                } catch (IOException e) {
                    // gone meanwhile (another capstan pruning): nothing to do
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            // housekeeping only: the next compile prunes again
        }
    }

    private void remove(Path entry, boolean leftBehind) {
        Path doomed = entry;
        if (!leftBehind) {
            try {
                doomed = Files.move(entry, cacheRoot.resolve(PRUNING + entry.getFileName() + "-" + System.nanoTime()),
                        StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                return; // gone already, or another capstan is removing it
            }
        }
        deleteTree(doomed);
    }

    /**
     * The cache entry for a recipe: named by a 64-bit checksum of its identity (file name, source, capstan's and Java's
     * versions) and holding that identity, compared in full, so that two recipes whose checksums collide get entries of
     * their own. Checksums, not a cryptographic digest: the JCA providers a digest needs took ~5 ms of every start, before
     * the first connection; the SSH client sets them up anyway, later and on threads of its own.
     */
    private Path entryFor(byte[] identity) {
        CRC32C crc = new CRC32C();
        crc.update(identity);
        String name = HexFormat.of().toHexDigits(crc.getValue() << 32 | (Arrays.hashCode(identity) & 0xffffffffL));
        for (int n = 0; ; n++) {
            Path entry = cacheRoot.resolve(n == 0 ? name : name + "-" + n);
            // its own entry first: a warm start then reads the identity and leaves the marker to usable()
            if (holds(entry, identity) || !Files.isRegularFile(entry.resolve(MARKER))) {
                return entry;
            }
        }
    }

    private static boolean holds(Path entry, byte[] identity) {
        try {
            return Arrays.equals(Files.readAllBytes(entry.resolve(IDENTITY)), identity);
        } catch (IOException e) {
            return false; // an entry without its identity (half written, or older): not this recipe's
        }
    }

    private void compile(Path file, Path target, byte[] identity) {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        if (compiler == null) {
            throw new ConfigException("no Java compiler in this runtime (" + System.getProperty("java.home")
                    + "): capstan needs a JDK >= 21, not a JRE");
        }
        Path staging;
        try {
            Files.createDirectories(cacheRoot);
            staging = Files.createTempDirectory(cacheRoot, COMPILING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the recipe cache " + cacheRoot, e);
        }
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = compiler.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            List<String> options = List.of("-d", staging.toString(), "-classpath", compileClasspath(),
                    "-proc:none", "-g", "-encoding", "UTF-8", "-Xlint:none");
            boolean ok = compiler.getTask(null, files, diagnostics, options, null,
                    files.getJavaFileObjects(file.toFile())).call();
            if (!ok) {
                throw new RecipeCompileException(describe(file, diagnostics));
            }
            String recipeClass = findRecipeClass(file, staging);
            Files.write(staging.resolve(IDENTITY), identity);
            Files.writeString(staging.resolve(MARKER), recipeClass);
            publish(staging, target);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write compiled recipe to " + target, e);
        } finally {
            deleteTree(staging);
        }
    }

    /** The running classpath, plus wherever capstan's API classes were loaded from (test runners hide them). */
    private static String compileClasspath() {
        String classpath = System.getProperty("java.class.path");
        try {
            java.security.CodeSource source = Recipe.class.getProtectionDomain().getCodeSource();
            if (source != null) {
                classpath = Path.of(source.getLocation().toURI()) + java.io.File.pathSeparator + classpath;
            }
        } catch (java.net.URISyntaxException e) {
            // keep the plain classpath
        }
        return classpath;
    }

    private static List<String> describe(Path file, DiagnosticCollector<JavaFileObject> collected) {
        List<String> lines = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : collected.getDiagnostics()) {
            if (d.getKind() != Diagnostic.Kind.ERROR) {
                continue;
            }
            String where = d.getSource() == null ? file.toString() : Path.of(d.getSource().toUri()).toString();
            lines.add(relative(where) + ":" + d.getLineNumber() + ":" + d.getColumnNumber() + ": error: " + oneLine(d.getMessage(Locale.ROOT)));
        }
        return lines.isEmpty() ? List.of(file + ": does not compile") : lines;
    }

    /**
     * javac's message on one line: its detail lines ({@code symbol:}, {@code location:}, {@code required:},
     * {@code found:}) in brackets after the first, which alone does not say what was not found.
     */
    private static String oneLine(String message) {
        List<String> lines = message.lines().map(line -> line.strip().replaceAll("\\s+", " "))
                .filter(line -> !line.isEmpty()).toList();
        if (lines.isEmpty()) {
            return "";
        }
        String first = lines.get(0);
        if (lines.size() == 1) {
            return first;
        }
        String head = first.endsWith(";") ? first.substring(0, first.length() - 1) : first;
        return head + " (" + String.join("; ", lines.subList(1, lines.size())) + ")";
    }

    private static String relative(String path) {
        Path p = Path.of(path);
        Path cwd = Path.of("").toAbsolutePath();
        return p.startsWith(cwd) ? cwd.relativize(p).toString() : path;
    }

    /** The class to instantiate: the public class named like the file, else the only Recipe class. */
    private static String findRecipeClass(Path file, Path classes) throws IOException {
        String expected = file.getFileName().toString().replaceFirst("\\.java$", "");
        List<String> names;
        try (Stream<Path> walk = Files.walk(classes)) {
            names = walk.filter(p -> p.toString().endsWith(".class"))
                    .map(p -> classes.relativize(p).toString().replace('/', '.').replaceFirst("\\.class$", ""))
                    .toList();
        }
        return names.stream().filter(n -> n.equals(expected) || n.endsWith("." + expected)).findFirst()
                .orElseGet(() -> names.stream().filter(n -> !n.contains("$")).findFirst()
                        .orElseThrow(() -> new ConfigException(file + ": declares no class")));
    }

    /** Moves freshly compiled classes into place; a concurrent capstan may have won the race, which is fine. */
    private static void publish(Path staging, Path target) throws IOException {
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
            // another process compiled the same source first
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(staging, target);
        }
    }

    /** @throws NoSuchFileException when the entry is gone (pruned by another capstan since it was looked up) */
    private static Recipe instantiate(Path file, Path classes) throws IOException {
        String name = Files.readString(classes.resolve(MARKER)).strip();
        try {
            URLClassLoader loader = new RecipeClassLoader(classes, RecipeCompiler.class.getClassLoader());
            Class<?> type = loader.loadClass(name);
            if (!Recipe.class.isAssignableFrom(type)) {
                throw new ConfigException(file + ": class " + name + " does not implement dev.capstan.Recipe");
            }
            if (!java.lang.reflect.Modifier.isPublic(type.getModifiers())) {
                throw new ConfigException(file + ": class " + name + " must be public (public class " + name
                        + " implements Recipe)");
            }
            return (Recipe) type.getDeclaredConstructor().newInstance();
        } catch (NoSuchMethodException e) {
            throw new ConfigException(file + ": class " + name + " needs a constructor without parameters", e);
        } catch (MalformedURLException | ReflectiveOperationException e) {
            throw new ConfigException(file + ": cannot load the recipe class: " + e, e);
        }
    }

    /** What a compiled recipe depends on: its file name, its source, and capstan's and Java's versions. */
    private static byte[] identity(Path file, byte[] source) {
        byte[] name = file.getFileName().toString().getBytes(StandardCharsets.UTF_8);
        byte[] versions = capstanFingerprint().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(name.length + 1 + source.length + 1 + versions.length)
                .put(name).put((byte) 0).put(source).put((byte) 0).put(versions).array();
    }

    /** Recompile when capstan or Java changes: the classpath entries' sizes and times, and Java's version. */
    private static String capstanFingerprint() {
        StringBuilder sb = new StringBuilder(Runtime.version().toString());
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            try {
                sb.append('|').append(entry).append(':').append(Files.size(p)).append(':').append(Files.getLastModifiedTime(p).toMillis());
            } catch (IOException e) {
                sb.append('|').append(entry);
            }
        }
        return sb.toString();
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover staging directory is harmless
        }
    }
}
