// bench: restart_par — 8 restart tasks, each `sleep 1` on 2 hosts, all run at once with parallelize.
// Task i runs on hosts i and i+1 (mod the host count), so with 8 hosts every host serves two tasks
// (two channels on its one connection).
//   capstan -f bench/recipes/RestartPar.java -S bench_hosts=HOSTS_FILE -s ssh_known_hosts=... -s ssh_identity=... restart_par
import dev.capstan.*;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

public class RestartPar implements Recipe {
    static final int TASKS = 8;

    @Override
    public void define(Config cap) {
        String hostsFile = cap.fetch("bench_hosts");
        List<String> hosts = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of(hostsFile))) {
                if (!line.isBlank()) {
                    hosts.add(line.strip());
                    cap.server(line.strip(), "all");
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }

        cap.namespace("restart", ns -> {
            for (int i = 0; i < TASKS; i++) {
                String a = hosts.get(i % hosts.size());
                String b = hosts.get((i + 1) % hosts.size());
                ns.task("service" + i, t -> t.hosts(a, b), ctx -> ctx.run("sleep 1"));
            }
        });

        cap.desc("8 tasks of `sleep 1` on 2 hosts each, all at once (parallelize)");
        cap.task("restart_par", ctx -> ctx.parallelize(s -> {
            for (int i = 0; i < TASKS; i++) {
                String task = "restart:service" + i;
                s.run(c -> c.invoke(task));
            }
        }));
    }
}
