package dev.capstan.deploy;

import dev.capstan.TaskContext;
import java.util.List;

/** How a release's files get onto the servers. */
interface Strategy {

    /** The revision being deployed, resolved once per run on this machine. */
    String revision(TaskContext ctx);

    /** What is missing on this machine for this strategy to work (empty when all is well). */
    List<String> checkLocal(TaskContext ctx);

    /** A shell test that fails on a server lacking what the strategy needs there, e.g. {@code command -v git}. */
    String remoteRequirement();

    /** Puts the release's files into each server's release directory. */
    void deploy(TaskContext ctx);

    static Strategy named(String name) {
        return switch (name) {
            case "copy" -> new CopyStrategy();
            case "git" -> new GitStrategy();
            default -> throw new dev.capstan.ConfigException("unknown deploy strategy '" + name + "': use copy or git");
        };
    }
}
