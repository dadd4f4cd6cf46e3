package dev.capstan.model;

import dev.capstan.Config;
import dev.capstan.ConfigException;
import dev.capstan.Recipe;
import dev.capstan.Scope;
import dev.capstan.Server;
import dev.capstan.ServerHandle;
import dev.capstan.TaskBody;
import dev.capstan.TaskOptions;
import dev.capstan.spi.RecipeProvider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The model a recipe builds: variables, servers, roles, tasks, callbacks and stages. Mutable while
 * recipes define themselves; the engine then reads it (variables stay writable, and thread-safe).
 */
public final class Configuration implements Config {
    private static final Pattern TASK_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");

    private final Variables variables = new Variables();
    private volatile Questions questions = Questions.NONE;
    private final Map<String, Server> servers = new LinkedHashMap<>();
    /** Roles declared with {@link #role}, also those no server plays. */
    private final Set<String> declaredRoles = new LinkedHashSet<>();
    private final Map<String, TaskDefinition> tasks = new TreeMap<>();
    private final Map<String, List<Callback>> before = new LinkedHashMap<>();
    private final Map<String, List<Callback>> after = new LinkedHashMap<>();
    /** When each callback was registered (by identity: two registrations of one task are two callbacks). */
    private final Map<Callback, Integer> registered = new java.util.IdentityHashMap<>();
    private final List<Callback> onStart = new ArrayList<>();
    private final List<Callback> onFinish = new ArrayList<>();
    private final Map<String, Consumer<Config>> stages = new LinkedHashMap<>();
    private final Set<String> loadedBuiltins = new LinkedHashSet<>();
    private String origin = "recipe";
    /** Whether a recipe's define() is running: variables it reads then come from -S, not -s. */
    private boolean defining;
    private String pendingDescription;
    private String stage;

    public Variables variables() {
        return variables;
    }

    /** Runs a recipe's {@code define} with {@code origin} naming it for duplicate detection. */
    public void define(String recipeOrigin, Recipe recipe) {
        String previous = origin;
        boolean wasDefining = defining;
        origin = recipeOrigin;
        defining = true;
        try {
            recipe.define(this);
        } finally {
            origin = previous;
            defining = wasDefining;
        }
    }

    // ---- variables -------------------------------------------------------------------------

    @Override
    public void set(String name, Object value) {
        if (value instanceof Supplier<?> supplier) {
            variables.setLazy(name, supplier);
        } else {
            variables.set(name, value);
        }
    }

    @Override
    public void set(String name, Supplier<?> value) {
        variables.setLazy(name, value);
    }

    @Override
    public void secret(String name, Object value) {
        variables.secret(name, value);
        servers.values().forEach(server -> variables.holdIfSecret(name, server.properties().get(name)));
    }

    @Override
    public void ask(String name, String defaultValue) {
        if (variables.exists(Variables.validName(name))) {
            return; // answered in advance (-S), or set by the recipe
        }
        variables.setLazy(name, () -> answer(name, defaultValue == null ? ": " : " [" + defaultValue + "]: ", true,
                defaultValue));
    }

    @Override
    public void askSecret(String name) {
        if (variables.exists(Variables.validName(name))) {
            variables.secret(name, variables.get(name));
            return;
        }
        variables.secretLazy(name, () -> answer(name, " (not shown): ", false, null));
    }

    /** Who answers {@link #ask}: no one until the command line sets its terminal. */
    public void answerQuestionsWith(Questions asker) {
        questions = asker;
    }

    private String answer(String name, String promptEnd, boolean echo, String defaultValue) {
        String answer = questions.ask(name + promptEnd, echo);
        if (answer != null && !answer.isBlank()) {
            return echo ? answer.strip() : answer;
        }
        if (defaultValue != null) {
            return defaultValue;
        }
        // -s comes after the recipe has loaded: a question the recipe asks while loading needs -S
        String option = defining ? "-S" : "-s";
        throw new ConfigException(answer == null
                ? "variable '" + name + "' is asked on the terminal, and there is none: give it with " + option + " "
                        + name + "=VALUE"
                : "no answer for '" + name + "', and it has no default");
    }

    @Override
    public <T> T fetch(String name) {
        if (defining && !variables.exists(name)) {
            // read while the recipe loads: -s would set it only after that
            throw new ConfigException("variable '" + name + "' is not set; the recipe reads it while loading, so set it"
                    + " with -S " + name + "=VALUE (or cap.set(\"" + name + "\", ...) before it is read)");
        }
        return variables.fetch(name);
    }

    @Override
    public <T> T fetch(String name, T defaultValue) {
        return variables.fetch(name, defaultValue);
    }

    @Override
    public boolean exists(String name) {
        return variables.exists(name);
    }

    // ---- recipes and stages ----------------------------------------------------------------

    @Override
    public void load(String builtin) {
        if (loadedBuiltins.contains(builtin)) {
            return;
        }
        RecipeProvider provider = builtinProviders().get(builtin);
        if (provider == null) {
            throw new ConfigException("unknown built-in recipe '" + builtin + "'" + SourceLocation.suffix()
                    + "; available: " + (builtinProviders().isEmpty() ? "none" : String.join(", ", builtinProviders().keySet())));
        }
        loadedBuiltins.add(builtin);
        define("builtin:" + builtin, provider.recipe());
    }

    @Override
    public void load(Recipe recipe) {
        recipe.define(this);
    }

    private static Map<String, RecipeProvider> builtinProviders() {
        Map<String, RecipeProvider> providers = new TreeMap<>();
        ClassLoader loader = Optional.ofNullable(Thread.currentThread().getContextClassLoader())
                .orElse(Configuration.class.getClassLoader());
        for (RecipeProvider provider : ServiceLoader.load(RecipeProvider.class, loader)) {
            providers.putIfAbsent(provider.name(), provider);
        }
        return providers;
    }

    @Override
    public void stage(String name, Consumer<Config> body) {
        checkTaskName("stage", name);
        if (stages.putIfAbsent(name, body) != null) {
            throw new ConfigException("duplicate stage '" + name + "'" + SourceLocation.suffix());
        }
    }

    public Set<String> stageNames() {
        return stages.keySet();
    }

    /** The chosen stage, if any. */
    public Optional<String> stage() {
        return Optional.ofNullable(stage);
    }

    /**
     * Applies the stage named on the command line, else variable {@code default_stage}; a recipe with
     * stages and none chosen is a configuration error.
     */
    public void selectStage(String named) {
        if (stages.isEmpty()) {
            if (named != null) {
                throw new ConfigException("unknown stage '" + named + "': this recipe declares no stages");
            }
            return;
        }
        String chosen = named != null ? named : Optional.ofNullable(variables.get("default_stage")).map(Object::toString).orElse(null);
        if (chosen == null) {
            throw new ConfigException("this recipe has stages (" + String.join(", ", stages.keySet())
                    + "): name one first, e.g. capstan " + stages.keySet().iterator().next() + " TASK, or set default_stage");
        }
        Consumer<Config> body = stages.get(chosen);
        if (body == null) {
            throw new ConfigException("unknown stage '" + chosen + "'; stages: " + String.join(", ", stages.keySet()));
        }
        stage = chosen;
        variables.set("stage", chosen);
        body.accept(this);
    }

    // ---- servers and roles -----------------------------------------------------------------

    @Override
    public ServerHandle server(String spec, String... roles) {
        Server parsed;
        try {
            parsed = Server.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage() + SourceLocation.suffix());
        }
        for (String role : roles) {
            checkTaskName("role", role);
        }
        String key = parsed.spec();
        servers.merge(key, parsed.withRoles(new LinkedHashSet<>(Arrays.asList(roles))),
                (old, added) -> old.withRoles(added.roles()));
        return new Handle(key);
    }

    /** Adds roles and properties to a declared server. */
    private final class Handle implements ServerHandle {
        private final String key;

        Handle(String key) {
            this.key = key;
        }

        @Override
        public ServerHandle set(String property, Object value) {
            variables.holdIfSecret(property, value);
            servers.computeIfPresent(key, (k, s) -> s.withProperty(property, value));
            return this;
        }

        @Override
        public ServerHandle roles(String... roles) {
            servers.computeIfPresent(key, (k, s) -> s.withRoles(new LinkedHashSet<>(Arrays.asList(roles))));
            return this;
        }
    }

    @Override
    public void role(String role, String... specs) {
        checkTaskName("role", role);
        declaredRoles.add(role);
        for (String spec : specs) {
            server(spec, role);
        }
    }

    /** Every declared server, in declaration order. */
    public List<Server> servers() {
        return List.copyOf(servers.values());
    }

    /** Every role some server plays, then the roles declared that none plays. */
    public Set<String> roles() {
        Set<String> roles = new LinkedHashSet<>();
        servers.values().forEach(s -> roles.addAll(s.roles()));
        roles.addAll(declaredRoles);
        return roles;
    }

    // ---- tasks -----------------------------------------------------------------------------

    @Override
    public void desc(String description) {
        pendingDescription = description;
    }

    @Override
    public void task(String name, TaskBody body) {
        task(name, options -> { }, body);
    }

    @Override
    public void task(String name, Consumer<TaskOptions> options, TaskBody body) {
        declare("", name, options, body);
    }

    @Override
    public void namespace(String name, Consumer<Scope> body) {
        checkTaskName("namespace", name);
        body.accept(new NamespaceScope(name));
    }

    /** A namespace: declares tasks under its prefix. */
    private final class NamespaceScope implements Scope {
        private final String prefix;

        NamespaceScope(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public void desc(String description) {
            Configuration.this.desc(description);
        }

        @Override
        public void task(String name, TaskBody body) {
            task(name, options -> { }, body);
        }

        @Override
        public void task(String name, Consumer<TaskOptions> options, TaskBody body) {
            declare(prefix, name, options, body);
        }

        @Override
        public void namespace(String name, Consumer<Scope> body) {
            checkTaskName("namespace", name);
            body.accept(new NamespaceScope(prefix + ":" + name));
        }
    }

    private void declare(String namespace, String name, Consumer<TaskOptions> options, TaskBody body) {
        checkTaskName("task", name);
        String full = namespace.isEmpty() ? name : namespace + ":" + name;
        String description = pendingDescription;
        pendingDescription = null;
        TaskSpecBuilder spec = new TaskSpecBuilder(full);
        options.accept(spec);
        String location = SourceLocation.ofCaller().orElse(null);
        TaskDefinition definition = new TaskDefinition(full, description, spec.build(), body, origin, location);
        TaskDefinition existing = tasks.get(full);
        if (existing != null) {
            if (existing.origin().equals(origin)) {
                throw new ConfigException("duplicate task '" + full + "'" + (location == null ? "" : " at " + location)
                        + (existing.location() == null ? "" : ", first declared at " + existing.location()));
            }
            if (origin.startsWith("builtin:")) {
                return; // a recipe's own task overrides the built-in one, whichever was declared first
            }
        }
        // "web" and "web:default" both answer to capstan web: two of the recipe's own would hide one of them
        String twin = full.endsWith(":default") ? full.substring(0, full.length() - ":default".length()) : full + ":default";
        TaskDefinition other = tasks.get(twin);
        if (other != null && !origin.startsWith("builtin:") && !other.origin().startsWith("builtin:")) {
            throw new ConfigException("task '" + full + "'" + (location == null ? "" : " at " + location) + " and task '" + twin
                    + "'" + (other.location() == null ? "" : " at " + other.location()) + " both answer to '"
                    + (full.endsWith(":default") ? twin : full) + "': rename one");
        }
        tasks.put(full, definition);
    }

    private static void checkTaskName(String kind, String name) {
        if (name == null || !TASK_NAME.matcher(name).matches()) {
            throw new ConfigException("invalid " + kind + " name '" + name + "': use letters, digits, _, . and -"
                    + SourceLocation.suffix());
        }
    }

    public Optional<TaskDefinition> task(String name) {
        return Optional.ofNullable(tasks.get(name));
    }

    /** Every task, sorted by name. */
    public Collection<TaskDefinition> tasks() {
        return tasks.values();
    }

    /** Every name a task can be invoked by: task names, and namespaces that have a default task. */
    public List<String> invocableNames() {
        List<String> names = new ArrayList<>();
        for (String name : tasks.keySet()) {
            names.add(name.endsWith(":default") ? name.substring(0, name.length() - ":default".length()) : name);
        }
        return names;
    }

    /**
     * Finds a task: {@code name} relative to {@code namespace} first, then absolute; a namespace name
     * stands for its {@code default} task.
     */
    public Optional<TaskDefinition> resolve(String name, String namespace) {
        List<String> candidates = new ArrayList<>();
        String ns = namespace;
        while (!ns.isEmpty()) {
            candidates.add(ns + ":" + name);
            int colon = ns.lastIndexOf(':');
            ns = colon < 0 ? "" : ns.substring(0, colon);
        }
        candidates.add(name);
        for (String candidate : candidates) {
            TaskDefinition found = tasks.get(candidate);
            if (found == null) {
                found = tasks.get(candidate + ":default");
            }
            if (found != null) {
                return Optional.of(found);
            }
        }
        return Optional.empty();
    }

    /** The task, or an {@link dev.capstan.UnknownTaskException} with the closest names. */
    public TaskDefinition require(String name, String namespace) {
        return resolve(name, namespace).orElseThrow(() -> new dev.capstan.UnknownTaskException(name,
                TaskNames.closest(name, invocableNames())));
    }

    // ---- callbacks -------------------------------------------------------------------------

    @Override
    public void before(String task, String... callbacks) {
        addCallbacks(before, task, callbacks);
    }

    @Override
    public void before(String task, TaskBody body) {
        register(before, task, new Callback.Body(body, SourceLocation.ofCaller().orElse(null)));
    }

    @Override
    public void after(String task, String... callbacks) {
        addCallbacks(after, task, callbacks);
    }

    @Override
    public void after(String task, TaskBody body) {
        register(after, task, new Callback.Body(body, SourceLocation.ofCaller().orElse(null)));
    }

    @Override
    public void onStart(String... names) {
        String location = SourceLocation.ofCaller().orElse(null);
        Arrays.stream(names).forEach(n -> onStart.add(new Callback.Task(n, location)));
    }

    @Override
    public void onStart(TaskBody body) {
        onStart.add(new Callback.Body(body, SourceLocation.ofCaller().orElse(null)));
    }

    @Override
    public void onFinish(String... names) {
        String location = SourceLocation.ofCaller().orElse(null);
        Arrays.stream(names).forEach(n -> onFinish.add(new Callback.Task(n, location)));
    }

    @Override
    public void onFinish(TaskBody body) {
        onFinish.add(new Callback.Body(body, SourceLocation.ofCaller().orElse(null)));
    }

    private void addCallbacks(Map<String, List<Callback>> map, String task, String... callbacks) {
        String location = SourceLocation.ofCaller().orElse(null);
        for (String callback : callbacks) {
            register(map, task, new Callback.Task(callback, location));
        }
    }

    private void register(Map<String, List<Callback>> map, String task, Callback callback) {
        map.computeIfAbsent(task, k -> new ArrayList<>()).add(callback);
        registered.put(callback, registered.size());
    }

    /**
     * The callbacks before the task named {@code names} (a namespace's default task has two names, {@code ns:default}
     * and {@code ns}), in the order they were registered on any of its names.
     */
    public List<Callback> callbacksBefore(String... names) {
        return inRegistrationOrder(before, names);
    }

    /** The callbacks after the task named {@code names}, as {@link #callbacksBefore(String...)}. */
    public List<Callback> callbacksAfter(String... names) {
        return inRegistrationOrder(after, names);
    }

    private List<Callback> inRegistrationOrder(Map<String, List<Callback>> map, String... names) {
        List<Callback> all = new ArrayList<>();
        for (String name : names) {
            all.addAll(map.getOrDefault(name, List.of()));
        }
        all.sort(java.util.Comparator.comparingInt(registered::get));
        return all;
    }

    public List<Callback> onStart() {
        return List.copyOf(onStart);
    }

    public List<Callback> onFinish() {
        return List.copyOf(onFinish);
    }

    /**
     * Checks what can only be checked once every recipe is loaded: every callback names a task, and no
     * task is its own callback, directly or through others.
     */
    public void validate() {
        CallbackGraph.check(this, before, after, onStart, onFinish);
        nameAccountsThatShareAHost();
        refuseServersThatLookAlike();
    }

    /** Two servers shown under one name could not be told apart in any line, failure, summary or download. */
    private void refuseServersThatLookAlike() {
        Map<String, Server> byLabel = new HashMap<>();
        for (Server server : servers.values()) {
            Server other = byLabel.putIfAbsent(server.label(), server);
            if (other != null) {
                throw new ConfigException("servers " + other.spec() + " and " + server.spec() + " are both shown as '"
                        + server.label() + "': give each a name of its own (.set(\"name\", ...))");
            }
        }
    }

    /**
     * Two accounts on one host ({@code deploy@web1}, {@code backup@web1}) would print as one {@code web1} in every
     * line, failure and summary: each gets its user in its name, unless the recipe named it.
     */
    private void nameAccountsThatShareAHost() {
        Map<Server, String> labels = labelsTellingApart(servers.values());
        servers.replaceAll((spec, server) -> server.properties().get("name") == null
                && !labels.get(server).equals(server.label()) ? server.withProperty("name", labels.get(server)) : server);
    }

    /** Each server's label, with its user in front where two of {@code servers} share one (two accounts on a host). */
    public static Map<Server, String> labelsTellingApart(java.util.Collection<Server> servers) {
        Map<String, Long> count = servers.stream()
                .collect(java.util.stream.Collectors.groupingBy(Server::label, java.util.stream.Collectors.counting()));
        Map<Server, String> labels = new java.util.HashMap<>();
        for (Server server : servers) {
            boolean shared = count.get(server.label()) > 1 && server.user() != null;
            labels.put(server, shared ? server.user() + "@" + server.label() : server.label());
        }
        return labels;
    }
}
