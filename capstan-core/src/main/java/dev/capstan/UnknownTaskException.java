package dev.capstan;

import java.util.List;

/** A task name that no recipe declares, with the names that come closest. */
public class UnknownTaskException extends ConfigException {
    private static final long serialVersionUID = 1L;

    private final String task;
    private final List<String> suggestions;

    public UnknownTaskException(String task, List<String> suggestions) {
        super("unknown task '" + task + "'" + (suggestions.isEmpty() ? ""
                : "; did you mean " + String.join(" or ", suggestions.stream().map(s -> "'" + s + "'").toList()) + "?"));
        this.task = task;
        this.suggestions = List.copyOf(suggestions);
    }

    public String task() {
        return task;
    }

    public List<String> suggestions() {
        return suggestions;
    }
}
