package dev.capstan.transport;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The name of the part file an upload writes beside its target before renaming it over the target: the target's
 * name plus {@code .capstan-part-<hex>}, so that a clean-up can find one an interrupted upload left (the deploy's
 * {@code .upload-*}), or the suffix alone (a hidden file) when that would pass the 255 bytes a file name may have.
 */
public final class PartFiles {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_NAME_BYTES = 255;

    private PartFiles() {
    }

    /** The part file's name for a target named {@code name} (a file name, not a path). */
    public static String nameFor(String name) {
        String suffix = ".capstan-part-" + HexFormat.of().toHexDigits(RANDOM.nextInt());
        return name.getBytes(StandardCharsets.UTF_8).length + suffix.length() <= MAX_NAME_BYTES ? name + suffix : suffix;
    }
}
