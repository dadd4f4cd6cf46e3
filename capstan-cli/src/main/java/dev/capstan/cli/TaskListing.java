package dev.capstan.cli;

import dev.capstan.model.Configuration;
import dev.capstan.model.PropertyFilter;
import dev.capstan.model.TaskDefinition;
import dev.capstan.model.TaskSpec;
import java.util.ArrayList;
import java.util.List;

/** {@code capstan -T} and {@code capstan -e TASK}: what a recipe offers, in words. */
final class TaskListing {
    private TaskListing() {
    }

    /** Every documented task with its summary, aligned, sorted by name. */
    static List<String> list(Configuration config) {
        List<TaskDefinition> documented = config.tasks().stream().filter(t -> t.description() != null).toList();
        int width = documented.stream().mapToInt(t -> displayName(t).length()).max().orElse(0);
        List<String> lines = new ArrayList<>();
        for (TaskDefinition task : documented) {
            String name = displayName(task);
            lines.add("capstan " + name + " ".repeat(width - name.length()) + "  # " + task.summary());
        }
        if (documented.isEmpty()) {
            lines.add("no documented tasks: describe one with cap.desc(\"...\") before cap.task(...)");
        }
        if (!config.stageNames().isEmpty()) {
            lines.add("");
            String first = config.stageNames().iterator().next();
            lines.add("stages: " + String.join(", ", config.stageNames()) + " (named first: capstan " + first + " TASK)"
                    + config.stage().map(s -> "; listed for " + s)
                            .orElse("; a stage's own tasks show with it: capstan " + first + " -T"));
        }
        long hidden = config.tasks().size() - documented.size();
        if (hidden > 0) {
            lines.add("");
            lines.add("(" + hidden + " undocumented task" + (hidden == 1 ? "" : "s") + " not shown; capstan -e TASK explains any task)");
        }
        return lines;
    }

    /** Everything about one task. */
    static List<String> explain(TaskDefinition task) {
        List<String> lines = new ArrayList<>();
        lines.add("capstan " + displayName(task));
        lines.add("");
        if (task.description() == null) {
            lines.add("  (no description)");
        } else {
            task.description().strip().lines().forEach(l -> lines.add("  " + l.strip()));
        }
        lines.add("");
        TaskSpec spec = task.spec();
        lines.add("  runs on: " + targets(spec));
        if (spec.once()) {
            lines.add("  once: commands run on the first server only");
        }
        if (spec.maxHosts() > 0) {
            lines.add("  max hosts: " + spec.maxHosts() + " at a time");
        }
        if (spec.rolling() != null) {
            lines.add("  rolling: groups of " + spec.rolling().groupSize() + ", " + spec.rolling().pause().toMillis() + " ms apart");
        }
        lines.add("  on error: " + spec.onError().name().toLowerCase());
        if (task.location() != null) {
            lines.add("  declared at: " + task.location() + (task.origin().startsWith("builtin:") ? " (" + task.origin() + ")" : ""));
        } else if (task.origin().startsWith("builtin:")) {
            lines.add("  declared by: " + task.origin());
        }
        return lines;
    }

    private static String displayName(TaskDefinition task) {
        return task.name().endsWith(":default") ? task.namespace() : task.name();
    }

    private static String targets(TaskSpec spec) {
        List<String> parts = new ArrayList<>();
        if (!spec.hosts().isEmpty()) {
            parts.add("hosts " + String.join(", ", spec.hosts()));
        } else if (!spec.roles().isEmpty()) {
            parts.add("roles " + String.join(", ", spec.roles()));
        } else {
            parts.add("all servers");
        }
        spec.only().forEach(f -> parts.add("only " + f));
        spec.except().stream().map(PropertyFilter::toString).forEach(f -> parts.add("except " + f));
        return String.join("; ", parts);
    }
}
