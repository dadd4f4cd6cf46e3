// The quick-start recipe: a small release-based deploy written directly against capstan's API.
// Try it without any server:  ./capstan -f examples/quickstart/Capfile.java -T
//                             ./capstan -f examples/quickstart/Capfile.java -n deploy
import dev.capstan.*;

public class Capfile implements Recipe {
    @Override
    public void define(Config cap) {
        cap.set("application", "shop");
        cap.set("deploy_to", "/srv/shop");
        cap.set("release_path", () -> cap.fetch("deploy_to") + "/releases/"
                + java.time.format.DateTimeFormatter.ofPattern("yyyyMMddHHmmss")
                        .withZone(java.time.ZoneOffset.UTC).format(java.time.Instant.now()));

        cap.server("deploy@web1.example.com", "web", "app").set("primary", true);
        cap.server("deploy@web2.example.com", "web", "app");
        cap.role("daemon", "deploy@jobs1.example.com");

        cap.namespace("deploy", deploy -> {
            deploy.desc("Create the directory layout on every server");
            deploy.task("setup", t -> t.except("no_release"), ctx ->
                    ctx.run("mkdir -p " + ctx.fetch("deploy_to") + "/releases " + ctx.fetch("deploy_to") + "/shared"));

            deploy.desc("Copy the new release into place");
            deploy.task("update_code", t -> t.roles("app"), ctx -> {
                String release = ctx.fetch("release_path");
                ctx.onRollback(() -> ctx.run("rm -rf " + release));
                ctx.run("mkdir -p " + release);
                ctx.run("echo 'hello from " + ctx.fetch("application") + "' > " + release + "/index.html");
            });

            deploy.desc("Point current at the new release, atomically");
            deploy.task("symlink", t -> t.roles("app"), ctx -> {
                String current = ctx.fetch("deploy_to") + "/current";
                ctx.run("ln -sfn " + ctx.fetch("release_path") + " " + current + ".tmp && mv -T " + current + ".tmp " + current);
            });

            deploy.desc("Update the code and switch to it, or roll both back");
            deploy.task("default", ctx -> {
                ctx.transaction(() -> {
                    ctx.invoke("update_code");
                    ctx.invoke("symlink");
                });
                ctx.invoke("restart");
            });

            deploy.desc("Restart the web tier and the daemons at the same time");
            deploy.task("restart", ctx -> ctx.parallelize(s -> {
                s.run(c -> c.invoke("web:restart"));
                s.run(c -> c.invoke("daemons:restart"));
            }));
        });

        cap.namespace("web", web ->
                web.task("restart", t -> t.roles("web"), ctx -> ctx.run("touch " + ctx.fetch("deploy_to") + "/current/restart.txt")));
        cap.namespace("daemons", daemons ->
                daemons.task("restart", t -> t.roles("daemon"), ctx -> ctx.run("echo restarting daemons")));

        cap.desc("Show the uptime of every server");
        cap.task("uptime", ctx -> ctx.run("uptime"));

        cap.before("deploy", "deploy:setup");
    }
}
