package dev.capstan.model;

import dev.capstan.ConfigException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Validates callbacks: every named task exists, and following callbacks never leads back to a task. */
final class CallbackGraph {
    private CallbackGraph() {
    }

    static void check(Configuration config, Map<String, List<Callback>> before, Map<String, List<Callback>> after,
                      List<Callback> onStart, List<Callback> onFinish) {
        Map<String, List<String>> edges = new HashMap<>();
        for (Map<String, List<Callback>> kind : List.of(before, after)) {
            String word = kind == before ? "before" : "after";
            kind.forEach((task, callbacks) -> {
                TaskDefinition target = config.resolve(task, "").orElseThrow(() -> new ConfigException(
                        word + "(\"" + task + "\", ...): unknown task '" + task + "'" + locationOf(callbacks)
                                + suggestion(config, task)));
                for (Callback callback : callbacks) {
                    if (callback instanceof Callback.Task named) {
                        TaskDefinition resolved = config.resolve(named.name(), "").orElseThrow(() -> new ConfigException(
                                word + "(\"" + task + "\", \"" + named.name() + "\"): unknown task '" + named.name() + "'"
                                        + (named.location() == null ? "" : " (" + named.location() + ")")
                                        + suggestion(config, named.name())));
                        edges.computeIfAbsent(target.name(), k -> new ArrayList<>()).add(resolved.name());
                    }
                }
            });
        }
        for (List<Callback> list : List.of(onStart, onFinish)) {
            for (Callback callback : list) {
                if (callback instanceof Callback.Task named && config.resolve(named.name(), "").isEmpty()) {
                    throw new ConfigException((list == onStart ? "onStart" : "onFinish") + ": unknown task '" + named.name() + "'"
                            + (named.location() == null ? "" : " (" + named.location() + ")") + suggestion(config, named.name()));
                }
            }
        }
        findCycle(edges);
    }

    private static void findCycle(Map<String, List<String>> edges) {
        Set<String> done = new HashSet<>();
        for (String start : edges.keySet()) {
            Deque<String> path = new ArrayDeque<>();
            visit(start, edges, path, new HashSet<>(), done);
        }
    }

    private static void visit(String task, Map<String, List<String>> edges, Deque<String> path, Set<String> onPath, Set<String> done) {
        if (onPath.contains(task)) {
            List<String> cycle = new ArrayList<>();
            boolean in = false;
            for (String step : path) {
                in |= step.equals(task);
                if (in) {
                    cycle.add(step);
                }
            }
            cycle.add(task);
            throw new ConfigException("callback cycle: " + String.join(" -> ", cycle)
                    + " (each runs the next as a before/after callback)");
        }
        if (!done.add(task)) {
            return;
        }
        path.addLast(task);
        onPath.add(task);
        for (String next : edges.getOrDefault(task, List.of())) {
            visit(next, edges, path, onPath, done);
        }
        onPath.remove(task);
        path.removeLast();
    }

    private static String locationOf(List<Callback> callbacks) {
        return callbacks.stream().map(c -> c instanceof Callback.Task t ? t.location() : ((Callback.Body) c).location())
                .filter(l -> l != null).findFirst().map(l -> " (" + l + ")").orElse("");
    }

    private static String suggestion(Configuration config, String name) {
        List<String> close = TaskNames.closest(name, config.tasks().stream().map(TaskDefinition::name).toList());
        return close.isEmpty() ? "" : "; did you mean '" + close.get(0) + "'?";
    }
}
