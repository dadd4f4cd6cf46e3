package dev.capstan;

/**
 * The recipe or the call is wrong: a malformed host, an invalid variable name, a duplicate task, a
 * callback cycle, an unknown task or option. capstan reports it in one line and exits with status 2
 * without running anything.
 */
public class ConfigException extends CapstanException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
