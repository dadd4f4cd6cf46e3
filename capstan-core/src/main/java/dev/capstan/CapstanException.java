package dev.capstan;

/** The root of every exception capstan throws on purpose: its message is meant for the user. */
public class CapstanException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CapstanException(String message) {
        super(message);
    }

    public CapstanException(String message, Throwable cause) {
        super(message, cause);
    }
}
