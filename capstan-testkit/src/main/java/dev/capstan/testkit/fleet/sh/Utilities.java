package dev.capstan.testkit.fleet.sh;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** Every command the emulated shell knows, by name. */
final class Utilities {

    private static final Map<String, Utility> ALL;

    static {
        Map<String, Utility> map = new TreeMap<>();
        Builtins.register(map);
        FileUtilities.register(map);
        TextUtilities.register(map);
        SystemUtilities.register(map);
        ALL = Collections.unmodifiableMap(map);
    }

    private Utilities() {
    }

    static Map<String, Utility> all() {
        return ALL;
    }
}
