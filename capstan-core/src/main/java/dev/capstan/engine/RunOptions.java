package dev.capstan.engine;

import java.util.List;

/**
 * What the command line decided for a run.
 *
 * @param dryRun show commands instead of running them
 * @param hosts  {@code --hosts}/HOSTS: run every task on these hosts
 * @param roles  {@code --roles}/ROLES: run every task on servers with these roles
 */
public record RunOptions(boolean dryRun, List<String> hosts, List<String> roles) {
    public static final RunOptions DEFAULT = new RunOptions(false, List.of(), List.of());

    public RunOptions {
        hosts = List.copyOf(hosts);
        roles = List.copyOf(roles);
    }
}
