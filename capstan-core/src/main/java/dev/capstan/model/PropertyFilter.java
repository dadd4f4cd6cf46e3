package dev.capstan.model;

import dev.capstan.Server;
import java.util.Objects;

/**
 * A condition on a server property for {@code only}/{@code except}.
 *
 * @param property the property name
 * @param value    the value it must equal, or {@code null} for "the property is true"
 */
public record PropertyFilter(String property, Object value) {

    public boolean matches(Server server) {
        if (value == null) {
            return server.flag(property);
        }
        Object actual = server.properties().get(property);
        return Objects.equals(actual, value) || (actual != null && actual.toString().equals(value.toString()));
    }

    @Override
    public String toString() {
        return value == null ? property : property + "=" + value;
    }
}
