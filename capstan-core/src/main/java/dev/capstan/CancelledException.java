package dev.capstan;

/** The run was interrupted (Ctrl-C, or a sibling block failed under fail-fast). */
public class CancelledException extends CapstanException {
    private static final long serialVersionUID = 1L;

    public CancelledException(String message) {
        super(message);
    }
}
