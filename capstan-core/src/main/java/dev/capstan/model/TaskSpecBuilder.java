package dev.capstan.model;

import dev.capstan.ConfigException;
import dev.capstan.OnError;
import dev.capstan.Server;
import dev.capstan.TaskOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** Collects {@link TaskOptions} from a task declaration into a {@link TaskSpec}. */
final class TaskSpecBuilder implements TaskOptions {
    private final String task;
    private final List<String> roles = new ArrayList<>();
    private final List<String> hosts = new ArrayList<>();
    private final List<PropertyFilter> only = new ArrayList<>();
    private final List<PropertyFilter> except = new ArrayList<>();
    private boolean once;
    private int maxHosts;
    private OnError onError = OnError.FAIL;
    private Rolling rolling;
    private boolean skipWhenNoServers;

    TaskSpecBuilder(String task) {
        this.task = task;
    }

    @Override
    public TaskOptions roles(String... names) {
        roles.addAll(Arrays.asList(names));
        return this;
    }

    @Override
    public TaskOptions hosts(String... specs) {
        for (String spec : specs) {
            try {
                Server.parse(spec);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("task " + task + ": " + e.getMessage() + SourceLocation.suffix());
            }
            hosts.add(spec);
        }
        return this;
    }

    @Override
    public TaskOptions only(String property) {
        only.add(new PropertyFilter(property, null));
        return this;
    }

    @Override
    public TaskOptions only(String property, Object value) {
        only.add(new PropertyFilter(property, Objects.requireNonNull(value, "value")));
        return this;
    }

    @Override
    public TaskOptions except(String property) {
        except.add(new PropertyFilter(property, null));
        return this;
    }

    @Override
    public TaskOptions once() {
        once = true;
        return this;
    }

    @Override
    public TaskOptions maxHosts(int n) {
        positive("maxHosts", n);
        maxHosts = n;
        return this;
    }

    @Override
    public TaskOptions onError(OnError policy) {
        onError = Objects.requireNonNull(policy, "policy");
        return this;
    }

    @Override
    public TaskOptions inSequence(Duration wait) {
        return inGroups(1, wait);
    }

    @Override
    public TaskOptions inGroups(int limit, Duration wait) {
        positive("inGroups limit", limit);
        if (wait == null || wait.isNegative()) {
            throw new ConfigException("task " + task + ": the wait between groups must be zero or more" + SourceLocation.suffix());
        }
        rolling = new Rolling(limit, wait);
        return this;
    }

    @Override
    public TaskOptions skipWhenNoServers() {
        skipWhenNoServers = true;
        return this;
    }

    private void positive(String option, int n) {
        if (n < 1) {
            throw new ConfigException("task " + task + ": " + option + " must be a positive integer, got " + n
                    + SourceLocation.suffix());
        }
    }

    TaskSpec build() {
        return new TaskSpec(roles, hosts, only, except, once, maxHosts, onError, rolling, skipWhenNoServers);
    }
}
