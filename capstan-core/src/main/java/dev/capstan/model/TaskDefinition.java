package dev.capstan.model;

import dev.capstan.TaskBody;

/**
 * A declared task.
 *
 * @param name        fully qualified name, e.g. {@code deploy:symlink}
 * @param description what {@code -T} shows, or {@code null} for an undocumented task
 * @param spec        its options
 * @param body        what it does
 * @param origin      the recipe that declared it, for duplicate detection and {@code -e}
 * @param location    where it was declared ({@code Capfile.java:17}), or {@code null}
 */
public record TaskDefinition(String name, String description, TaskSpec spec, TaskBody body, String origin, String location) {

    /** The namespace part of the name, "" at the top level. */
    public String namespace() {
        int colon = name.lastIndexOf(':');
        return colon < 0 ? "" : name.substring(0, colon);
    }

    /** The first sentence of the description, for task lists. */
    public String summary() {
        if (description == null) {
            return "";
        }
        String first = description.strip().lines().findFirst().orElse("");
        int dot = first.indexOf(". ");
        return dot < 0 ? first : first.substring(0, dot + 1);
    }
}
