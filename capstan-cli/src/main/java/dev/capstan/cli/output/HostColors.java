package dev.capstan.cli.output;

import java.util.List;

/**
 * A stable colour per host: the same host name gets the same colour in every run and every formatter,
 * so a reader learns "web3 is magenta". Red is left out: it means failure.
 */
public final class HostColors {
    private static final List<String> CODES = List.of("36", "32", "33", "34", "35", "96", "92", "93", "94", "95");

    private HostColors() {
    }

    /** The SGR colour code for {@code label}. */
    public static String codeFor(String label) {
        // String.hashCode is specified, hence the same across runs and JVMs
        return CODES.get(Math.floorMod(label.hashCode(), CODES.size()));
    }
}
