package dev.capstan.model;

import dev.capstan.TaskBody;

/** Something that runs before or after a task: another task, or an inline body. */
public sealed interface Callback {

    /** Invoke the named task. */
    record Task(String name, String location) implements Callback { }

    /** Run a body in the context of the task it surrounds. */
    record Body(TaskBody body, String location) implements Callback { }
}
