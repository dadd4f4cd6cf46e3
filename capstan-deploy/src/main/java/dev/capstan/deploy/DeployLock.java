package dev.capstan.deploy;

import static dev.capstan.Shell.quote;

import dev.capstan.CancelledException;
import dev.capstan.CapstanException;
import dev.capstan.CommandFailedException;
import dev.capstan.Server;
import dev.capstan.TaskContext;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

/**
 * The deploy lock: a file {@code deploy_to/deploy.lock} on every server saying who holds it and since
 * when. Taking it is all-or-nothing: when any server is locked by someone else, the locks just taken are
 * released again, so two deploys never each hold half of the servers.
 */
final class DeployLock {
    /** The acquire script's exit status when someone else holds the lock. */
    private static final int LOCKED = 3;

    private DeployLock() {
    }

    /** Who is deploying: the local user and machine. */
    static String who() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = java.nio.file.Files.readString(java.nio.file.Path.of("/etc/hostname")).strip();
            } catch (java.io.IOException e) {
                host = "localhost";
            }
        }
        return System.getProperty("user.name") + "@" + host;
    }

    static void lock(TaskContext ctx) {
        if (ctx.fetch("lock_token", null) != null) {
            return; // this run holds it already
        }
        String token = UUID.randomUUID().toString();
        String holder = token + " " + who() + " since " + Instant.now().truncatedTo(ChronoUnit.SECONDS)
                + " (release " + ctx.fetch("release_name") + ")";
        int wait = DeployRecipe.number(ctx, "lock_wait", 0, 0);
        try {
            ctx.run(s -> acquireScript(Layout.of(ctx, s), holder, wait));
        } catch (CancelledException e) {
            // Ctrl-C while some servers were still waiting: those that had granted the lock give it back
            releaseAfterInterrupt(ctx, token);
            throw e;
        } catch (CommandFailedException e) {
            List<Server> locked = e.hosts();
            List<String> taken = ctx.servers().stream().filter(s -> !locked.contains(s)).map(Server::spec).toList();
            if (!taken.isEmpty()) {
                ctx.run(s -> releaseScript(Layout.of(ctx, s), token, false), o -> o.hosts(taken.toArray(String[]::new)));
            }
            // exit status 3 is the acquire script's "locked by ..."; anything else (a host down, no permission) is not
            long held = e.failures().stream().filter(f -> f.exitStatus() == LOCKED).count();
            StringBuilder message = new StringBuilder(held == 0
                    ? "could not take the deploy lock on " + locked.size() + " of " + ctx.servers().size()
                            + (ctx.servers().size() == 1 ? " server" : " servers") + ":"
                    : "deploy is locked on " + held + " of " + ctx.servers().size()
                            + (ctx.servers().size() == 1 ? " server" : " servers") + (wait > 0 ? " (waited " + wait + " s)" : "")
                            + (held < locked.size() ? ", and could not be locked on " + (locked.size() - held) + " more" : "")
                            + ":");
            for (CommandFailedException.HostFailure f : e.failures()) {
                String line = f.stderrTail().isEmpty() ? f.reason() : f.stderrTail().get(f.stderrTail().size() - 1);
                message.append("\n  ").append(f.server().label()).append(": ").append(line);
            }
            if (held > 0) {
                message.append("\nIf no deploy is running (a killed capstan leaves its lock behind), clear it with:"
                        + " capstan deploy:unlock -s force_unlock=true");
            }
            throw new CapstanException(message.toString(), e);
        }
        ctx.set("lock_token", token);
    }

    /** Releases {@code token}'s lock on every server (only where it is ours), to its end whatever the interrupt. */
    private static void releaseAfterInterrupt(TaskContext ctx, String token) {
        ctx.uninterruptibly(() -> {
            try {
                ctx.run(s -> releaseScript(Layout.of(ctx, s), token, false));
            } catch (RuntimeException e) {
                ctx.warn("could not release the deploy lock after the interrupt: " + e.getMessage()
                        + " (when no deploy is running, clear it with: capstan deploy:unlock -s force_unlock=true)");
            }
        });
    }

    static void unlock(TaskContext ctx) {
        boolean force = Boolean.parseBoolean(String.valueOf(ctx.fetch("force_unlock", false)));
        String token = ctx.fetch("lock_token", null);
        if (token == null && !force) {
            ctx.log("deploy:unlock: this run holds no lock (use -s force_unlock=true to remove another one)");
            return;
        }
        ctx.run(s -> releaseScript(Layout.of(ctx, s), token, force));
        ctx.set("lock_token", null);
    }

    /** Creates the lock file only if it does not exist (noclobber), retrying for {@code wait} seconds. */
    private static String acquireScript(Layout layout, String holder, int wait) {
        String lock = quote(layout.lockFile());
        String attempt = "( set -C; printf '%s\\n' " + quote(holder) + " > " + lock + " ) 2>/dev/null";
        // A failed attempt with no lock file there is no one's lock: the file cannot be made (once more, for a lock
        // released meanwhile), and that is an error, not "locked". releases/ and shared/ are made on the way, as
        // Capistrano 3 makes them in every deploy: a first deploy needs no deploy:setup.
        return "mkdir -p " + quote(layout.deployTo()) + " " + quote(layout.releases()) + " " + quote(layout.shared())
                + " || exit 1; i=0; while ! " + attempt + "; do"
                + " if [ ! -e " + lock + " ]; then " + attempt + " && break; [ -e " + lock + " ] || { echo \"cannot create "
                + layout.lockFile().replace("\"", "") + "\" >&2; exit 1; }; fi;"
                + " if [ $i -ge " + wait + " ]; then echo \"locked by $(cut -d' ' -f2- " + lock + " 2>/dev/null)\" >&2; exit " + LOCKED + "; fi;"
                + " sleep 1; i=$((i+1)); done";
    }

    /** Removes the lock when it is ours (or when forced). */
    private static String releaseScript(Layout layout, String token, boolean force) {
        String lock = quote(layout.lockFile());
        if (force) {
            return "rm -f " + lock;
        }
        return "if [ -f " + lock + " ] && [ \"$(cut -d' ' -f1 " + lock + ")\" = " + quote(token) + " ]; then rm -f " + lock + "; fi";
    }
}
