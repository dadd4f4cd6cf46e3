package dev.capstan.model;

import dev.capstan.OnError;
import java.util.List;

/**
 * The options of a task, as declared.
 *
 * @param roles             run on servers with any of these roles
 * @param hosts             run on exactly these hosts
 * @param only              keep servers matching all of these
 * @param except            drop servers matching any of these
 * @param once              commands run on the first target server only
 * @param maxHosts          commands run on at most this many servers at a time (0 = no limit)
 * @param onError           what failed hosts do to the rest of the task
 * @param rolling           run the body group after group, or {@code null}
 * @param skipWhenNoServers skip the task, instead of failing, when no server matches
 */
public record TaskSpec(List<String> roles, List<String> hosts, List<PropertyFilter> only, List<PropertyFilter> except,
                       boolean once, int maxHosts, OnError onError, Rolling rolling, boolean skipWhenNoServers) {

    public static final TaskSpec DEFAULT = new TaskSpec(List.of(), List.of(), List.of(), List.of(), false, 0, OnError.FAIL, null, false);

    public TaskSpec {
        roles = List.copyOf(roles);
        hosts = List.copyOf(hosts);
        only = List.copyOf(only);
        except = List.copyOf(except);
    }
}
