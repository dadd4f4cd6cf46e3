package dev.capstan.testkit.fleet.sh;

/**
 * A script the emulated shell cannot parse. {@link #incomplete()} tells a script cut short (an open quote, an
 * {@code if} without {@code fi}) from a wrong one: an interactive shell reads more lines for the former.
 */
public final class SyntaxError extends Exception {

    private static final long serialVersionUID = 1L;

    private final boolean incomplete;

    SyntaxError(String message, boolean incomplete) {
        super(message);
        this.incomplete = incomplete;
    }

    /** @return whether more input could complete the script */
    public boolean incomplete() {
        return incomplete;
    }
}
