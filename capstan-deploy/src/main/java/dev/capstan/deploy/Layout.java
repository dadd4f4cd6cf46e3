package dev.capstan.deploy;

import dev.capstan.Server;
import dev.capstan.TaskContext;

/**
 * Where things live on one server: {@code deploy_to/{releases/<name>, shared/, current}}. A server may
 * set its own {@code deploy_to} (a server-level value), so every path is computed per server. A relative
 * {@code deploy_to} is relative to the login directory; {@code current} always points at its release by
 * the relative name {@code releases/<name>}, which stays right wherever deploy_to is.
 *
 * @param deployTo the application's directory
 * @param release  this run's release name (UTC yyyyMMddHHmmss)
 */
record Layout(String deployTo, String release) {

    static Layout of(TaskContext ctx, Server server) {
        // String.valueOf, not a String-typed fetch: -s types digits as a number (-s release_name=20300101000000)
        String application = String.valueOf(ctx.<Object>fetch("application"));
        String deployTo = String.valueOf(ctx.fetch(server, "deploy_to", ctx.<Object>fetch("deploy_to", "/var/www/" + application)));
        return new Layout(stripSlash(deployTo), String.valueOf(ctx.<Object>fetch("release_name")));
    }

    private static String stripSlash(String path) {
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    String releases() {
        return deployTo + "/releases";
    }

    String shared() {
        return deployTo + "/shared";
    }

    String current() {
        return deployTo + "/current";
    }

    String releasePath() {
        return releases() + "/" + release;
    }

    /** How {@code current} names a release: relative to deploy_to. */
    static String linkTarget(String releaseName) {
        return "releases/" + releaseName;
    }

    /** {@code path} as the absolute path a symlink needs, as a shell word ($PWD is the login directory). */
    String absoluteWord(String path) {
        return path.startsWith("/") ? dev.capstan.Shell.quote(path) : "\"$PWD\"/" + dev.capstan.Shell.quote(path);
    }

    String lockFile() {
        return deployTo + "/deploy.lock";
    }

    String revisionsLog() {
        return deployTo + "/revisions.log";
    }

    String repoMirror() {
        return shared() + "/repo";
    }
}
