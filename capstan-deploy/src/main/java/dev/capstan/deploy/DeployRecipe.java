package dev.capstan.deploy;

import static dev.capstan.Shell.quote;

import dev.capstan.CapstanException;
import dev.capstan.CommandFailedException;
import dev.capstan.Config;
import dev.capstan.ConfigException;
import dev.capstan.Recipe;
import dev.capstan.Server;
import dev.capstan.TaskContext;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

/**
 * The built-in deploy recipe ({@code cap.load("deploy")}): releases under {@code deploy_to/releases},
 * shared files, an atomic switch of {@code current}, rollback, cleanup and locking. Written only against
 * capstan's public API, like any user recipe.
 *
 * <p>Variables (defaults in brackets): {@code application} (required), {@code deploy_to}
 * [/var/www/APPLICATION, may be set per server], {@code keep_releases} [5], {@code linked_files},
 * {@code linked_dirs} [none], {@code strategy} [copy], {@code repository}, {@code branch} [main],
 * {@code build_command}, {@code restart_command}, {@code restart_limit} [all at once],
 * {@code restart_wait} [0 s], {@code health_check} (a command) or {@code health_check_url},
 * {@code health_check_retries} [5], {@code health_check_delay} [2 s], {@code lock_wait} [0 s],
 * {@code rollback_release} (or ROLLBACK_RELEASE).
 */
public final class DeployRecipe implements Recipe {
    static final DateTimeFormatter RELEASE_NAME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);
    /** How far a default release name moves on, a second at a time, past releases that already have its name. */
    private static final int RELEASE_NAME_TRIES = 60;

    /** The release name this recipe chose itself (its default), as opposed to one the user set; null before. */
    private volatile String defaultReleaseName;

    @Override
    public void define(Config cap) {
        defaults(cap);
        cap.namespace("deploy", deploy -> {
            deploy.desc("Create releases/ and shared/ (with linked dirs) under deploy_to on every server");
            deploy.task("setup", t -> t.except("no_release"), this::setup);

            deploy.desc("Check directories, permissions, linked files and what the strategy needs; list what is missing");
            deploy.task("check", t -> t.except("no_release"), this::check);

            deploy.desc("Deploy: lock, update the code and switch current (rolled back together on failure), restart, clean up");
            deploy.task("default", this::deploy);
            // the deploy's own steps, for release servers only; the deploy task itself keeps every server, so that a
            // hook written inline on it (a maintenance page, a notice) runs on no_release servers too, as in Capistrano
            deploy.task("claim_release_name", t -> t.except("no_release"), this::claimReleaseName);
            deploy.task("log_revision", t -> t.except("no_release"), DeployRecipe::recordRevision);

            deploy.desc("Put the new release's files in place and link shared files (rollback: remove the release)");
            deploy.task("update_code", t -> t.except("no_release"), this::updateCode);

            deploy.desc("Point current at the new release atomically (rollback: point it back)");
            deploy.task("symlink", t -> t.except("no_release"), this::symlink);

            deploy.desc("Run restart_command, in rolling groups of restart_limit with an optional health check");
            deploy.task("restart", t -> t.except("no_release"), this::restart);

            deploy.desc("Roll back to the previous release (or ROLLBACK_RELEASE) and mark the bad one, under the deploy lock");
            deploy.task("rollback", t -> t.except("no_release"), this::rollback);

            deploy.desc("Keep the newest keep_releases releases; remove older, half-made, never-activated and rolled-back ones, never current");
            deploy.task("cleanup", t -> t.except("no_release"), this::cleanup);

            deploy.desc("Take the deploy lock on every server, or fail naming the holder");
            deploy.task("lock", t -> t.except("no_release"), DeployLock::lock);

            deploy.desc("Release the deploy lock (-s force_unlock=true removes anyone's)");
            deploy.task("unlock", t -> t.except("no_release"), DeployLock::unlock);

            deploy.desc("List the releases on every server, current marked");
            deploy.task("releases", t -> t.except("no_release"), this::releases);

            deploy.desc("Show the commits that a deploy would add (git strategy)");
            deploy.task("pending", t -> t.except("no_release").once(), this::pending);
        });
    }

    private void defaults(Config cap) {
        setIfAbsent(cap, "keep_releases", 5);
        setIfAbsent(cap, "strategy", "copy");
        setIfAbsent(cap, "branch", "main");
        setIfAbsent(cap, "lock_wait", 0);
        if (!cap.exists("release_name")) {
            cap.set("release_name", (Supplier<String>) () -> defaultReleaseName = RELEASE_NAME.format(Instant.now()));
        }
    }

    private static void setIfAbsent(Config cap, String name, Object value) {
        if (!cap.exists(name)) {
            cap.set(name, value);
        }
    }

    // ---- tasks -----------------------------------------------------------------------------

    private void setup(TaskContext ctx) {
        ctx.run(s -> {
            Layout layout = Layout.of(ctx, s);
            List<String> dirs = new ArrayList<>(List.of(layout.releases(), layout.shared()));
            list(ctx, "linked_dirs").forEach(d -> dirs.add(layout.shared() + "/" + d));
            list(ctx, "linked_files").forEach(f -> dirs.add(parent(layout.shared() + "/" + f)));
            return "mkdir -p " + String.join(" ", dirs.stream().distinct().map(dev.capstan.Shell::quote).toList());
        });
    }

    private void check(TaskContext ctx) {
        Strategy strategy = strategy(ctx);
        List<String> local = strategy.checkLocal(ctx);
        if (!local.isEmpty()) {
            throw new CapstanException("deploy:check: missing on this machine:\n  " + String.join("\n  ", local));
        }
        ctx.run(s -> {
            Layout layout = Layout.of(ctx, s);
            StringBuilder script = new StringBuilder("m=0; miss() { echo \"missing: $*\" >&2; m=1; };");
            for (String dir : List.of(layout.releases(), layout.shared())) {
                script.append(" if [ ! -d ").append(quote(dir)).append(" ]; then miss directory ").append(quote(dir))
                        .append(" '(deploy:setup or the first deploy makes it)'; elif [ ! -w ").append(quote(dir)).append(" ]; then miss write permission on ")
                        .append(quote(dir)).append("; fi;");
            }
            for (String dir : list(ctx, "linked_dirs")) {
                String path = layout.shared() + "/" + dir;
                script.append(" [ -d ").append(quote(path)).append(" ] || miss linked dir ").append(quote(path)).append(';');
            }
            for (String file : list(ctx, "linked_files")) {
                String path = layout.shared() + "/" + file;
                script.append(" [ -e ").append(quote(path)).append(" ] || miss linked file ").append(quote(path)).append(';');
            }
            if (ctx.fetch("health_check_url", null) != null) {
                script.append(" command -v curl >/dev/null || miss 'curl, which health_check_url needs';");
            }
            script.append(" ").append(strategy.remoteRequirement()).append(" || miss 'a tool the ")
                    .append(ctx.fetch("strategy").toString()).append(" strategy needs: ").append(strategy.remoteRequirement().replace("'", ""))
                    .append("';");
            return script.append(" exit $m").toString();
        });
    }

    private void deploy(TaskContext ctx) {
        // a bad number or a missing artifact is a bad call: found before anything changes, not after the switch
        checkNumbers(ctx);
        // a path under releases/ that a rollback removes, and that releases, rollback and cleanup order by its digits
        String releaseName = String.valueOf(ctx.<Object>fetch("release_name"));
        if (!releaseName.matches("\\d{14}")) {
            throw new ConfigException("release_name '" + releaseName + "' is not a release name: 14 digits,"
                    + " yyyyMMddHHmmss (UTC), as deploy:releases, deploy:rollback and deploy:cleanup read them");
        }
        if (ctx.fetch("health_check", null) != null && ctx.fetch("health_check_url", null) != null) {
            throw new ConfigException("set health_check or health_check_url, not both");
        }
        if (ctx.fetch("build_command", null) == null) { // else the build makes what the strategy uploads
            List<String> missing = strategy(ctx).checkLocal(ctx);
            if (!missing.isEmpty()) {
                throw new ConfigException("deploy: " + String.join("; ", missing));
            }
        }
        boolean[] live = {false};
        try {
            underLock(ctx, () -> {
                ctx.invoke("deploy:claim_release_name");
                ctx.transaction(() -> {
                    ctx.invoke("deploy:update_code");
                    ctx.invoke("deploy:symlink");
                });
                live[0] = true;
                ctx.invoke("deploy:log_revision"); // what is live is logged, whatever restart and cleanup then do
                ctx.invoke("deploy:restart");
                ctx.invoke("deploy:cleanup");
            });
        } catch (RuntimeException | Error e) {
            if (live[0]) {
                // restart, cleanup and the unlock come after the switch, outside its transaction (as in Capistrano)
                ctx.warn("release " + ctx.fetch("release_name") + " is live: current points at it on every server;"
                        + " `capstan deploy:rollback` goes back to the release before it");
            }
            throw e;
        }
    }

    /**
     * Makes sure that no server has a release of this deploy's name yet, under the lock. Names have one-second
     * resolution: a deploy in the same second as the one before (another capstan's, or this run's own second deploy)
     * would write into the live release, and its rollback would remove it. A default name moves on a second at a time;
     * a name the user set is refused.
     */
    private void claimReleaseName(TaskContext ctx) {
        for (int tries = 1; ; tries++) {
            String name = ctx.fetch("release_name").toString();
            if (ctx.test(s -> "test ! -e " + quote(Layout.of(ctx, s).releasePath()) + " && test ! -L "
                    + quote(Layout.of(ctx, s).releasePath()))) {
                return;
            }
            if (!name.equals(defaultReleaseName)) {
                throw new CapstanException("release " + name + " exists already under releases/ on a server: set another"
                        + " release_name, or leave it unset (the time of the deploy)");
            }
            if (tries == RELEASE_NAME_TRIES) {
                throw new CapstanException("releases named " + name + " and the " + (RELEASE_NAME_TRIES - 1)
                        + " seconds before exist already on a server: is a server's clock, or a release name, in the future?");
            }
            String next = RELEASE_NAME.format(Instant.from(RELEASE_NAME.parse(name)).plusSeconds(1));
            defaultReleaseName = next;
            ctx.set("release_name", next);
        }
    }

    /**
     * Releases this run's lock, also after Ctrl-C: like a rollback, the release must run although the run was
     * interrupted (a second Ctrl-C still ends capstan at once). A failure to release is reported, and fails the deploy
     * only if nothing else did.
     */
    private static void releaseLock(TaskContext ctx, boolean done) {
        if (ctx.fetch("lock_token", null) == null) {
            return; // the lock was not taken: nothing of ours to release
        }
        ctx.uninterruptibly(() -> {
            try {
                ctx.invoke("deploy:unlock");
            } catch (RuntimeException e) {
                ctx.warn("could not release the deploy lock: " + e.getMessage()
                        + " (when no deploy is running, clear it with: capstan deploy:unlock -s force_unlock=true)");
                if (done) {
                    throw e;
                }
            }
        });
    }

    private void updateCode(TaskContext ctx) {
        Strategy strategy = strategy(ctx);
        ctx.onRollback(() -> ctx.run(s -> {
            Layout layout = Layout.of(ctx, s);
            // The release, and what an upload cut short left beside it. Not while current points at it: the switch
            // back may have failed on this host (a lost connection), and the handlers after a failed one still run.
            String release = quote(layout.release());
            return "cd " + quote(layout.releases()) + " 2>/dev/null || exit 0; " + REMOVE_RELEASE
                    + " rm -rf " + quote(".upload-" + layout.release() + "-") + "*;"
                    + " if [ \"$(basename \"$(readlink " + quote(layout.current()) + ")\")\" = " + release + " ]; then"
                    // the other hosts went back: this one alone is to follow, to the release it had (.previous)
                    + " p=$(basename \"$(cat " + release + "/.previous 2>/dev/null)\");"
                    + " echo \"release \"" + release + "\" kept: current still points at it on this host; switch it back"
                    + " with: capstan deploy:rollback -s rollback_release=$p --hosts \"" + quote(s.label()) + " >&2; exit 1; fi;"
                    + " remove_release " + release;
        }));
        strategy.deploy(ctx);
        String revision = strategy.revision(ctx); // after: the copy strategy digests its artifact during the upload
        ctx.run(s -> {
            Layout layout = Layout.of(ctx, s);
            StringBuilder script = new StringBuilder("set -e;");
            // as Capistrano 3's deploy:check does within every deploy: a linked dir is made; a linked file that shared/
            // lacks fails the deploy (a dangling link would go live)
            for (String dir : list(ctx, "linked_dirs")) {
                script.append(" mkdir -p ").append(quote(layout.shared() + "/" + dir)).append(";");
            }
            for (String file : list(ctx, "linked_files")) {
                String shared = quote(layout.shared() + "/" + file);
                script.append(" [ -e ").append(shared).append(" ] || { echo \"missing: linked file \"")
                        .append(shared).append("\" (put it there; capstan deploy:check lists what is missing)\" >&2; exit 1; };");
            }
            // the deepest first, files before dirs: a path inside a linked dir (config/db.yml in config, public/uploads
            // in public) linked after it would be linked through the dir's link, and its rm would delete shared data
            List<String> linked = new ArrayList<>(list(ctx, "linked_files"));
            linked.addAll(list(ctx, "linked_dirs"));
            linked.sort(Comparator.comparingLong((String path) -> path.chars().filter(c -> c == '/').count()).reversed());
            for (String path : linked) {
                script.append(link(layout, path));
            }
            // REVISION last: a release without it is half-made, and cleanup removes it
            script.append(" printf '%s\\n' ").append(quote(revision)).append(" > ").append(quote(layout.releasePath() + "/REVISION"));
            return script.toString();
        });
    }

    private static String link(Layout layout, String relative) {
        String target = quote(layout.releasePath() + "/" + relative);
        return " mkdir -p " + quote(parent(layout.releasePath() + "/" + relative)) + "; rm -rf " + target + "; ln -s "
                + layout.absoluteWord(layout.shared() + "/" + relative) + " " + target + ";";
    }

    private void symlink(TaskContext ctx) {
        ctx.onRollback(() -> ctx.run(s -> {
            Layout layout = Layout.of(ctx, s);
            String previous = quote(layout.releasePath() + "/.previous");
            // No .previous: this was the first release, or the switch never happened on this server; only in the
            // first case does current point here, and only then does it go.
            return "if [ -s " + previous + " ]; then " + switchTo(layout, "\"$(cat " + previous + ")\"")
                    + "; elif [ \"$(readlink " + quote(layout.current()) + ")\" = " + quote(Layout.linkTarget(layout.release()))
                    + " ]; then rm -f " + quote(layout.current()) + "; fi";
        }));
        ctx.run(s -> {
            Layout layout = Layout.of(ctx, s);
            return "test -f " + quote(layout.releasePath() + "/REVISION") + " && { readlink " + quote(layout.current()) + " > "
                    + quote(layout.releasePath() + "/.previous") + " || true; } && " + switchTo(layout, quote(Layout.linkTarget(layout.release())));
        });
    }

    /** Points current at {@code target} atomically: a new link beside it, renamed over it. */
    static String switchTo(Layout layout, String target) {
        String temporary = quote(layout.current() + ".tmp-" + layout.release());
        return "ln -sfn " + target + " " + temporary + " && mv -T " + temporary + " " + quote(layout.current());
    }

    private void restart(TaskContext ctx) {
        Object command = ctx.fetch("restart_command", null);
        if (command == null) {
            ctx.log("restart_command is not set: nothing to restart");
            return;
        }
        List<Server> servers = ctx.servers();
        int limit = number(ctx, "restart_limit", servers.size(), 1);
        Duration wait = Duration.ofSeconds(number(ctx, "restart_wait", 0, 0));
        for (int from = 0; from < servers.size(); from += limit) {
            String[] group = servers.subList(from, Math.min(servers.size(), from + limit)).stream().map(Server::spec).toArray(String[]::new);
            if (from > 0 && !wait.isZero()) {
                sleep(wait);
            }
            ctx.run(command.toString(), o -> o.hosts(group));
            healthCheck(ctx, group, from + limit < servers.size());
        }
    }

    private static void healthCheck(TaskContext ctx, String[] group, boolean groupsLeft) {
        Object command = ctx.fetch("health_check", null);
        Object url = ctx.fetch("health_check_url", null);
        if (command == null && url == null) {
            return;
        }
        String check = command != null ? command.toString() : "curl -fsS --max-time 5 -o /dev/null " + quote(url.toString());
        int retries = number(ctx, "health_check_retries", 5, 1);
        Duration delay = Duration.ofSeconds(number(ctx, "health_check_delay", 2, 0));
        for (int attempt = 1; attempt < retries; attempt++) {
            if (ctx.test(check, o -> o.hosts(group))) {
                return;
            }
            ctx.log("health check failed (attempt " + attempt + " of " + retries + "), retrying in " + delay.toSeconds() + " s");
            sleep(delay);
        }
        // The last attempt as a command: a failure names each failing host, its exit status and stderr, and the
        // summary counts those hosts as failed.
        try {
            ctx.run(check, o -> o.hosts(group));
        } catch (CommandFailedException e) {
            ctx.log("health check still failing after " + retries + " attempt" + (retries == 1 ? "" : "s")
                    + (groupsLeft ? "; later groups were not restarted" : ""));
            throw e;
        }
    }

    /**
     * Defines {@code remove_release NAME} (in {@code releases/}): the release is renamed out of the releases first, so
     * that a removal cut short (Ctrl-C, a timeout, a lost connection) never leaves a half-deleted release that still
     * looks complete (REVISION may outlive half its files); cleanup removes what such a cut leaves.
     */
    private static final String REMOVE_RELEASE = "remove_release() { [ -e \"$1\" ] || [ -L \"$1\" ] || return 0;"
            + " rm -rf \".removing-$1\" && mv \"$1\" \".removing-$1\" && rm -rf \".removing-$1\"; };";

    /** Under the deploy lock, like a deploy: a rollback must not switch current under a running deploy. */
    private void rollback(TaskContext ctx) {
        underLock(ctx, () -> rollBack(ctx));
    }

    private void rollBack(TaskContext ctx) {
        String wanted = String.valueOf(ctx.fetch("rollback_release", System.getenv().getOrDefault("ROLLBACK_RELEASE", "")));
        if (!wanted.isEmpty() && !wanted.matches("\\d{14}")) {
            throw new ConfigException("rollback_release '" + wanted + "' is not a release name (yyyyMMddHHmmss)");
        }
        String marker = "rolled back by " + DeployLock.who() + " at " + Instant.now().truncatedTo(ChronoUnit.SECONDS);
        if (!wanted.isEmpty()) { // every server has it, or none switches: servers must not end on different releases
            ctx.run(s -> "[ -f " + quote(Layout.of(ctx, s).releases() + "/" + wanted + "/REVISION") + " ] || { echo"
                    + " \"no complete release " + wanted + " here: no server was switched\" >&2; exit 1; }");
        }
        ctx.run(s -> {
            Layout layout = Layout.of(ctx, s);
            String releases = quote(layout.releases());
            // The release current replaced (its .previous) when that is still there, complete and not rolled back from;
            // else the newest such release older than current. Not simply the newest older one: a deploy killed after
            // update_code leaves a complete release that was never live.
            String choose = wanted.isEmpty()
                    ? "t=$(basename \"$(cat " + releases + "/$c/.previous 2>/dev/null)\");"
                    + " if ! { printf '%s\\n' \"$t\" | grep -qE '^[0-9]{14}$' && [ \"$t\" != \"$c\" ] && [ -f " + releases + "/$t/REVISION ]"
                    + " && [ ! -f " + releases + "/$t/BAD_RELEASE ]; }; then"
                    + " t=$(ls -1 " + releases + " | grep -E '^[0-9]{14}$' | sort | awk -v c=\"$c\" '$0 < c' | while read r; do"
                    + " [ -f " + releases + "/$r/REVISION ] && [ ! -f " + releases + "/$r/BAD_RELEASE ] && echo $r; done | tail -n 1); fi"
                    : "t=" + wanted + "; [ -f " + releases + "/$t/REVISION ] || t=";
            return "c=$(basename \"$(readlink " + quote(layout.current()) + ")\"); " + choose + ";"
                    + " if [ -z \"$t\" ]; then echo \"no " + (wanted.isEmpty() ? "earlier complete release" : "complete release " + wanted)
                    + " to roll back to (current: ${c:-none})\" >&2; exit 1; fi;"
                    + " if [ -n \"$c\" ] && [ \"$c\" != \"$t\" ]; then printf '%s\\n' " + quote(marker) + " > " + releases + "/$c/BAD_RELEASE; fi;"
                    // a release rolled back to by name is good again: cleanup must not take it for one rolled back from
                    + " rm -f " + releases + "/$t/BAD_RELEASE && " + switchTo(layout, "releases/$t") + " && echo \"current: $c -> $t\"";
        });
        ctx.invoke("deploy:restart");
    }

    /**
     * Removes what no one can roll back to: releases without REVISION (half-made), releases newer than
     * current that were never current (a deploy died before its switch; a release that was live, and is newer than
     * current after a rollback to an older one, stays), releases rolled back from (BAD_RELEASE;
     * kept, they would push good ones out of {@code keep_releases}), and all but the newest
     * {@code keep_releases}. Never current. Under the deploy lock, so that it never removes a release that a
     * running deploy is making.
     */
    private void cleanup(TaskContext ctx) {
        int keep = number(ctx, "keep_releases", 5, 1);
        underLock(ctx, () -> removeReleases(ctx, keep));
    }

    /**
     * Runs {@code body} under the deploy lock: this run's when it holds it already (a deploy, or a task that took it),
     * else taken for the body (a hook after deploy:lock that fails still releases it) and released after, also on
     * failure and Ctrl-C.
     */
    private static void underLock(TaskContext ctx, Runnable body) {
        if (ctx.fetch("lock_token", null) != null) {
            body.run();
            return;
        }
        boolean done = false;
        try {
            ctx.invoke("deploy:lock");
            body.run();
            done = true;
        } finally {
            releaseLock(ctx, done);
        }
    }

    private static void removeReleases(TaskContext ctx, int keep) {
        ctx.run(s -> {
            Layout layout = Layout.of(ctx, s);
            String releases = quote(layout.releases());
            return "cd " + releases + " 2>/dev/null || exit 0; " + REMOVE_RELEASE
                    + " c=$(basename \"$(readlink " + quote(layout.current()) + ")\");"
                    + " for r in $(ls -1 | grep -E '^[0-9]{14}$'); do if [ \"$r\" != \"$c\" ]; then"
                    + " if [ ! -f \"$r/REVISION\" ]; then remove_release \"$r\" && echo \"removed half-made release $r\";"
                    // never live: the switch writes .previous into a release just before it points current at it
                    + " elif [ -n \"$c\" ] && [ \"$r\" -gt \"$c\" ] && [ ! -e \"$r/.previous\" ]; then remove_release \"$r\" && echo \"removed release $r, newer than current and never made current\";"
                    + " elif [ -f \"$r/BAD_RELEASE\" ]; then remove_release \"$r\" && echo \"removed release $r, rolled back from\"; fi;"
                    + " fi; done;"
                    + " for r in $(ls -1 | grep -E '^[0-9]{14}$' | sort -r | tail -n +" + (keep + 1) + "); do"
                    + " if [ \"$r\" != \"$c\" ]; then remove_release \"$r\" && echo \"removed old release $r\"; fi; done;"
                    + " rm -rf .upload-* .removing-* 2>/dev/null; true";
        });
    }

    private void releases(TaskContext ctx) {
        ctx.run(s -> {
            Layout layout = Layout.of(ctx, s);
            String releases = quote(layout.releases());
            return "c=$(basename \"$(readlink " + quote(layout.current()) + " 2>/dev/null)\"); for r in $(ls -1 " + releases
                    + " 2>/dev/null | grep -E '^[0-9]{14}$' | sort); do m=' '; [ \"$r\" = \"$c\" ] && m='*';"
                    + " s=''; [ -f " + releases + "/$r/REVISION ] || s=' (incomplete)'; [ -f " + releases + "/$r/BAD_RELEASE ] && s=' (rolled back)';"
                    + " echo \"$m $r $(cat " + releases + "/$r/REVISION 2>/dev/null)$s\"; done";
        });
    }

    private void pending(TaskContext ctx) {
        if (!"git".equals(ctx.fetch("strategy"))) {
            throw new CapstanException("deploy:pending needs strategy git (strategy is " + ctx.fetch("strategy") + ")");
        }
        Server first = ctx.servers().get(0);
        String deployed = ctx.capture("cat " + quote(Layout.of(ctx, first).current() + "/REVISION") + " 2>/dev/null || true");
        String repository = ctx.fetch("repository").toString();
        String branch = ctx.fetch("branch").toString();
        List<String> commits = GitStrategy.log(repository, deployed.isBlank() ? null : deployed.strip(), branch);
        if (commits == null) {
            ctx.run(s -> "git --git-dir=" + quote(Layout.of(ctx, s).repoMirror()) + " log --oneline "
                    + (deployed.isBlank() ? "" : quote(deployed.strip()) + "..") + quote(branch), o -> o.once());
            return;
        }
        ctx.log(commits.isEmpty() ? "nothing pending: " + branch + " is deployed"
                : commits.size() + " commit" + (commits.size() == 1 ? "" : "s") + " pending on " + branch + ":\n  " + String.join("\n  ", commits));
    }

    /** Appends who deployed which release and revision to revisions.log on every server. */
    private static void recordRevision(TaskContext ctx) {
        String line = Instant.now().truncatedTo(ChronoUnit.SECONDS) + " " + DeployLock.who() + " deployed release "
                + ctx.fetch("release_name") + " revision " + strategy(ctx).revision(ctx);
        ctx.run(s -> "printf '%s\\n' " + quote(line) + " >> " + quote(Layout.of(ctx, s).revisionsLog()));
    }

    // ---- helpers ---------------------------------------------------------------------------

    /** The deploy's numeric settings, each with its default and least value. */
    private static void checkNumbers(TaskContext ctx) {
        number(ctx, "keep_releases", 5, 1);
        number(ctx, "lock_wait", 0, 0);
        number(ctx, "restart_limit", 1, 1);
        number(ctx, "restart_wait", 0, 0);
        number(ctx, "health_check_retries", 5, 1);
        number(ctx, "health_check_delay", 2, 0);
    }

    /** A whole-number setting (an integer, or text such as {@code -s keep_releases=3}); a bad one names itself. */
    static int number(TaskContext ctx, String name, int fallback, int least) {
        Object value = ctx.fetch(name, (Object) fallback);
        int number;
        try {
            number = value instanceof Number n ? Math.toIntExact(n.longValue()) : Integer.parseInt(value.toString().strip());
        } catch (NumberFormatException | ArithmeticException e) {
            throw new ConfigException(name + " must be a whole number, got '" + value + "'");
        }
        if (number < least) {
            throw new ConfigException(name + " must be at least " + least + ", got " + number);
        }
        return number;
    }

    private static Strategy strategy(TaskContext ctx) {
        return Strategy.named(ctx.fetch("strategy").toString());
    }

    @SuppressWarnings("unchecked")
    static List<String> list(TaskContext ctx, String name) {
        Object value = ctx.fetch(name, List.of());
        if (value instanceof List<?> items) {
            return ((List<Object>) items).stream().map(Object::toString).toList();
        }
        String text = value.toString().strip();
        return text.isEmpty() ? List.of() : List.of(text.split("\\s*,\\s*"));
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? "/" : path.substring(0, slash);
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new dev.capstan.CancelledException("interrupted");
        }
    }
}
