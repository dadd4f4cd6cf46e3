package dev.capstan;

/**
 * A recipe: servers, roles, variables and tasks, written in plain Java.
 *
 * <pre>{@code
 * public class Capfile implements Recipe {
 *     public void define(Config cap) {
 *         cap.set("application", "shop");
 *         cap.server("deploy@web1.example.com", "web");
 *         cap.desc("Show the uptime of every server");
 *         cap.task("uptime", ctx -> ctx.run("uptime"));
 *     }
 * }
 * }</pre>
 */
@FunctionalInterface
public interface Recipe {
    /** Declares everything this recipe contributes to {@code cap}. Runs once, before any task. */
    void define(Config cap);
}
