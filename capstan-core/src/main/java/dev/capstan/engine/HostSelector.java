package dev.capstan.engine;

import dev.capstan.ConfigException;
import dev.capstan.Server;
import dev.capstan.model.Configuration;
import dev.capstan.model.PropertyFilter;
import dev.capstan.model.TaskSpec;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Chooses a task's target servers: {@code --hosts}/HOSTS beats the task's hosts, beats
 * {@code --roles}/ROLES, beats the task's roles, else every server; then {@code only}/{@code except}.
 */
final class HostSelector {
    private final Configuration config;
    private final RunOptions options;

    HostSelector(Configuration config, RunOptions options) {
        this.config = config;
        this.options = options;
    }

    List<Server> select(TaskSpec spec) {
        List<Server> chosen;
        if (!options.hosts().isEmpty()) {
            chosen = byHosts(options.hosts());
        } else if (!spec.hosts().isEmpty()) {
            chosen = byHosts(spec.hosts());
        } else if (!options.roles().isEmpty()) {
            chosen = byRoles(options.roles());
        } else if (!spec.roles().isEmpty()) {
            chosen = byRoles(spec.roles());
        } else {
            chosen = config.servers();
        }
        return chosen.stream()
                .filter(s -> spec.only().stream().allMatch(f -> f.matches(s)))
                .filter(s -> spec.except().stream().noneMatch(f -> f.matches(s)))
                .toList();
    }

    /** The declared servers with these roles, in declaration order; an unknown role is an error. */
    List<Server> byRoles(List<String> roles) {
        Set<String> known = config.roles();
        for (String role : roles) {
            if (!known.contains(role)) {
                throw new ConfigException("unknown role '" + role + "'; roles: " + (known.isEmpty() ? "none" : String.join(", ", known)));
            }
        }
        return config.servers().stream().filter(s -> roles.stream().anyMatch(s::hasRole)).toList();
    }

    /** The {@code --hosts} names that match none of the recipe's servers, when it declares any. */
    List<String> undeclared() {
        if (config.servers().isEmpty()) {
            return List.of();
        }
        List<String> unknown = new ArrayList<>();
        for (String spec : options.hosts()) {
            try {
                if (byHosts(List.of(spec)).stream().noneMatch(config.servers()::contains)) {
                    unknown.add(spec);
                }
            } catch (ConfigException e) {
                // a malformed name fails on its own when a task selects its servers
            }
        }
        return unknown;
    }

    /**
     * The servers named by {@code specs}: a declared server when one matches, by its name in output or by its
     * {@code [user@]host[:port]} (so its roles and properties apply), else the host as given, like Capistrano's HOSTS.
     */
    List<Server> byHosts(List<String> specs) {
        List<Server> servers = config.servers(); // a copy: taken once, not once per name
        Set<Server> result = new LinkedHashSet<>();
        for (String spec : specs) {
            List<Server> named = servers.stream().filter(s -> s.label().equals(spec)).toList();
            if (!named.isEmpty()) {
                result.addAll(named);
                continue;
            }
            Server wanted;
            try {
                wanted = Server.parse(spec);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(e.getMessage());
            }
            List<Server> declared = new ArrayList<>();
            for (Server s : servers) {
                if (s.host().equals(wanted.host()) && (wanted.port() == 0 || wanted.port() == s.port())
                        && (wanted.user() == null || wanted.user().equals(s.user()))) {
                    declared.add(s);
                }
            }
            result.addAll(declared.isEmpty() ? List.of(wanted) : declared);
        }
        // two accounts on one host, given only here, get user@host in output, as declared ones do
        Set<Server> declared = Set.copyOf(servers);
        java.util.Map<Server, String> labels = Configuration.labelsTellingApart(result);
        return result.stream().map(s -> declared.contains(s) || labels.get(s).equals(s.label()) ? s
                : s.withProperty("name", labels.get(s))).toList();
    }

    /** What {@link #select} chose by for {@code spec}, for a message that none matched. */
    String describe(TaskSpec spec) {
        List<String> parts = new ArrayList<>();
        if (!options.hosts().isEmpty()) {
            parts.add("--hosts " + String.join(",", options.hosts()));
        } else if (!spec.hosts().isEmpty()) {
            parts.add("hosts " + String.join(",", spec.hosts()));
        } else if (!options.roles().isEmpty()) {
            parts.add("--roles " + String.join(",", options.roles()));
        } else if (!spec.roles().isEmpty()) {
            parts.add("roles " + String.join(",", spec.roles()));
        }
        if (!spec.only().isEmpty()) {
            parts.add("only " + String.join(",", spec.only().stream().map(PropertyFilter::toString).toList()));
        }
        if (!spec.except().isEmpty()) {
            parts.add("except " + String.join(",", spec.except().stream().map(PropertyFilter::toString).toList()));
        }
        return parts.isEmpty() ? "all servers" : String.join("; ", parts);
    }
}
