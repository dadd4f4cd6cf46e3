// The classic cap-ext-parallelize example, in capstan:
//   ./capstan -f examples/parallelize/Capfile.java -T
//   ./capstan -f examples/parallelize/Capfile.java -n restart_all restart_all_in_fives
//
// parallelize runs each block on its own thread; the blocks share one SSH connection per host
// (ten blocks on one host are ten channels on one connection, never ten connections).
import dev.capstan.*;

public class Capfile implements Recipe {
    @Override
    public void define(Config cap) {
        cap.server("deploy@web1.example.com", "web");
        cap.server("deploy@web2.example.com", "web");
        cap.server("deploy@jobs1.example.com", "daemon");
        cap.set("parallelize_thread_count", 10);   // the default chunk size

        cap.namespace("deploy", deploy -> {
            deploy.desc("Restart the web servers");
            deploy.task("restart", t -> t.roles("web"), ctx -> ctx.run("script/spin"));
        });
        cap.namespace("daemons", daemons -> {
            daemons.desc("Restart the background daemons");
            daemons.task("restart", t -> t.roles("daemon"), ctx -> ctx.run("script/daemons restart"));
        });

        // parallelize do |session|
        //   session.run { deploy.restart }
        //   session.run { daemons.restart }
        // end
        cap.desc("Restart the web servers and the daemons at the same time");
        cap.task("restart_all", ctx -> ctx.parallelize(s -> {
            s.run(c -> c.invoke("deploy:restart"));
            s.run(c -> c.invoke("daemons:restart"));
        }));

        // parallelize(5) do ... end: the chunk size given directly
        cap.desc("The same, at most five blocks at a time");
        cap.task("restart_all_in_fives", ctx -> ctx.parallelize(5, s -> {
            s.run(c -> c.invoke("deploy:restart"));
            s.run(c -> c.invoke("daemons:restart"));
        }));

        // the `parallel` that Capistrano already had: shell commands chosen per server
        cap.desc("Spin web and daemons with parallel (shell commands by condition)");
        cap.task("spin_all", ctx -> ctx.parallel(p -> {
            p.when(Server.in("web"), "script/spin");
            p.when(Server.in("daemon"), "script/daemons restart");
        }));
    }
}
