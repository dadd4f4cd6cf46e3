package dev.capstan.transport.ssh;

import java.util.Locale;

/** What to do with a host key that no known_hosts file knows: variable {@code host_key_checking}. */
public enum HostKeyChecking {
    /** Refuse the connection (the default, like OpenSSH's {@code StrictHostKeyChecking yes}). */
    STRICT("strict"),
    /** Trust a key on first use and record it; a changed key is still refused. */
    ACCEPT_NEW("accept-new"),
    /** Accept every key unchecked, with a warning: for throw-away hosts only. */
    OFF("off");

    private final String variableValue;

    HostKeyChecking(String variableValue) {
        this.variableValue = variableValue;
    }

    /** The value as written in the variable: {@code strict}, {@code accept-new} or {@code off}. */
    public String variableValue() {
        return variableValue;
    }

    /**
     * Reads {@code strict}, {@code accept-new} or {@code off}; {@code true}/{@code false} stand for strict/off.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static HostKeyChecking parse(Object value) {
        String text = String.valueOf(value).trim().toLowerCase(Locale.ROOT);
        return switch (text) {
            case "strict", "true" -> STRICT;
            case "accept-new" -> ACCEPT_NEW;
            case "off", "false" -> OFF;
            default -> throw new IllegalArgumentException(
                    "host_key_checking must be strict, accept-new or off, got '" + value + "'");
        };
    }
}
