package dev.capstan;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A target server: {@code [user@]host[:port]}, its roles and free properties such as {@code primary}
 * or {@code no_release}. Immutable; two servers are the same server when user, host and port match.
 *
 * <pre>{@code
 * Server web1 = Server.parse("deploy@web1.example.com:2222");
 * p.when(Server.in("web"), "script/spin");
 * }</pre>
 *
 * @param user       login user, or {@code null} for the default (ssh config, then the local user)
 * @param host       host name or address
 * @param port       port, or 0 for the default (ssh config, then 22)
 * @param roles      the roles this server plays, in declaration order
 * @param properties free properties ({@code primary}, {@code no_release}, {@code local}, ...)
 */
public record Server(String user, String host, int port, Set<String> roles, Map<String, Object> properties) {

    /**
     * The machine capstan runs on, as the server of {@code ctx.runLocally} commands: not one of the recipe's servers
     * (the summary does not count it among the hosts unless a command on it failed).
     */
    public static final Server THIS_MACHINE = new Server(null, "localhost", 0, Set.of(),
            Map.of("local", true, "this_machine", true));

    private static final Pattern SPEC = Pattern.compile(
            "^(?:([A-Za-z0-9._][A-Za-z0-9._-]*)@)?(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?)(?::(\\d{1,5}))?$");
    /** An IPv6 address written without brackets, as ssh takes it ({@code deploy@::1}): it has no port then. */
    private static final Pattern BARE_IPV6 = Pattern.compile("^(?:([A-Za-z0-9._][A-Za-z0-9._-]*)@)?([0-9A-Fa-f]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$");

    public Server {
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " of " + host + " is out of range 1-65535");
        }
        roles = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(roles));
        properties = java.util.Collections.unmodifiableMap(new TreeMap<>(properties));
    }

    /**
     * Parses {@code [user@]host[:port]}.
     *
     * @throws IllegalArgumentException with one line naming what is wrong with the spec
     */
    public static Server parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty host: expected [user@]host[:port]");
        }
        Matcher bare = BARE_IPV6.matcher(spec.trim());
        if (bare.matches()) {
            return new Server(bare.group(1), bare.group(2), 0, Set.of(), Map.of());
        }
        Matcher m = SPEC.matcher(spec.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("malformed host '" + spec + "': expected [user@]host[:port]");
        }
        int port = 0;
        if (m.group(3) != null) {
            port = Integer.parseInt(m.group(3));
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("malformed host '" + spec + "': port " + port + " is out of range 1-65535");
            }
        }
        String host = m.group(2);
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        }
        return new Server(m.group(1), host, port, Set.of(), Map.of());
    }

    /** A predicate matching servers that play {@code role}, for {@code parallel} and task filters. */
    public static Predicate<Server> in(String role) {
        return server -> server.hasRole(role);
    }

    /** A predicate matching servers whose host name matches the regular expression {@code regex}. */
    public static Predicate<Server> hostMatches(String regex) {
        Pattern pattern = Pattern.compile(regex);
        return server -> pattern.matcher(server.host()).find();
    }

    /** A predicate matching servers whose property {@code name} equals {@code value}. */
    public static Predicate<Server> property(String name, Object value) {
        return server -> Objects.equals(server.properties().get(name), value);
    }

    public boolean hasRole(String role) {
        return roles.contains(role);
    }

    /** The property as a boolean: {@code true}, "true" and non-zero numbers count as true. */
    public boolean flag(String name) {
        Object value = properties.get(name);
        return value instanceof Boolean b ? b
                : value instanceof Number n ? n.longValue() != 0
                : value != null && Boolean.parseBoolean(value.toString());
    }

    /** Whether commands for this server run as local processes instead of over SSH. */
    public boolean isLocal() {
        return flag("local");
    }

    /** This server with more roles. */
    public Server withRoles(Set<String> more) {
        LinkedHashSet<String> all = new LinkedHashSet<>(roles);
        all.addAll(more);
        return new Server(user, host, port, all, properties);
    }

    /** This server with one more property. */
    public Server withProperty(String name, Object value) {
        TreeMap<String, Object> all = new TreeMap<>(properties);
        all.put(name, value);
        return new Server(user, host, port, roles, all);
    }

    /** Identity of the server: the same user, host and port. */
    public boolean sameAs(Server other) {
        return Objects.equals(user, other.user) && host.equals(other.host) && port == other.port;
    }

    /** {@code [user@]host[:port]} as the user wrote it. */
    public String spec() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return (user == null ? "" : user + "@") + h + (port == 0 ? "" : ":" + port);
    }

    /**
     * The short name used in output: the {@code name} property when set
     * ({@code cap.server("deploy@10.0.0.5", "web").set("name", "web1")}), else the host, plus the port when
     * one was given.
     */
    public String label() {
        Object name = properties.get("name");
        if (name != null) {
            return name.toString();
        }
        return port == 0 ? host : (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    // equals and hashCode written out, with the record's meaning (every component): a record's own are linked through
    // method handles on first use, a few ms of a cold start, where a task restricted to hosts first hashes servers.
    @Override
    public boolean equals(Object other) {
        return other instanceof Server that && Objects.equals(user, that.user) && host.equals(that.host)
                && port == that.port && roles.equals(that.roles) && properties.equals(that.properties);
    }

    @Override
    public int hashCode() {
        return Objects.hash(user, host, port, roles, properties);
    }

    @Override
    public String toString() {
        return spec();
    }
}
