import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Build step of capstan-cli (run by the build on a JDK 24 or newer, with {@code java UpgradeOldClassFiles.java JAR}):
 * rewrites the class files of the shaded jar that are older than Java 6 (picocli's: it targets Java 5) as Java 8 class
 * files with stack maps, the same bytecode otherwise. The JVM's AOT cache (JEP 483) cannot keep classes that old, so
 * without this every run loads and verifies picocli's 200-odd classes from the jar with the old verifier: about 30 ms
 * of each start. Every rewritten class is then loaded and verified; a class that fails stops the build.
 */
public final class UpgradeOldClassFiles {

    private static final int JAVA_6 = 50;

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args[0]);
        Path rewritten = jar.resolveSibling(jar.getFileName() + ".upgrading");
        List<String> upgraded = new ArrayList<>();
        try (URLClassLoader hierarchy = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            ClassFile classFile = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                    ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.defaultResolver()
                            .orElse(ClassHierarchyResolver.ofResourceParsing(hierarchy))));
            try (InputStream in = Files.newInputStream(jar);
                    ZipInputStream entries = new ZipInputStream(in);
                    OutputStream out = Files.newOutputStream(rewritten);
                    ZipOutputStream copy = new ZipOutputStream(out)) {
                for (ZipEntry entry; (entry = entries.getNextEntry()) != null; ) {
                    byte[] bytes = entries.readAllBytes();
                    if (entry.getName().endsWith(".class") && majorVersion(bytes) < JAVA_6) {
                        bytes = upgrade(classFile, bytes);
                        upgraded.add(entry.getName());
                    }
                    ZipEntry written = new ZipEntry(entry.getName());
                    written.setTime(entry.getTime());
                    copy.putNextEntry(written);
                    copy.write(bytes);
                    copy.closeEntry();
                }
            }
        }
        verify(rewritten, upgraded);
        Files.move(rewritten, jar, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("UpgradeOldClassFiles: " + upgraded.size() + " class files of " + jar.getFileName()
                + " rewritten as Java 8 class files");
    }

    private static int majorVersion(byte[] classBytes) {
        return ((classBytes[6] & 0xff) << 8) | (classBytes[7] & 0xff);
    }

    /** Rebuilding every method body is what makes the library compute its stack maps. */
    private static byte[] upgrade(ClassFile classFile, byte[] bytes) {
        return classFile.transformClass(classFile.parse(bytes),
                ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                        .andThen(ClassTransform.endHandler(b -> b.withVersion(ClassFile.JAVA_8_VERSION, 0))));
    }

    /** Loads, links and so verifies every rewritten class (their static initializers run, too). */
    private static void verify(Path jar, List<String> classes) throws IOException, ClassNotFoundException {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()},
                ClassLoader.getPlatformClassLoader())) {
            for (String name : classes) {
                Class.forName(name.substring(0, name.length() - ".class".length()).replace('/', '.'), true, loader);
            }
        }
    }
}
