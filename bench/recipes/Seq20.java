// bench: seq20 — 20 sequential `true` per host, all hosts at once (each run() waits for every host; with
// -S bench_each=true each host goes at its own pace instead, in eachServer, as Capistrano 3's `on roles` does).
//   capstan -f bench/recipes/Seq20.java -S bench_hosts=HOSTS_FILE -s ssh_known_hosts=... -s ssh_identity=... seq20
import dev.capstan.*;
import java.nio.file.Files;
import java.nio.file.Path;

public class Seq20 implements Recipe {
    @Override
    public void define(Config cap) {
        String hostsFile = cap.fetch("bench_hosts");
        try {
            for (String line : Files.readAllLines(Path.of(hostsFile))) {
                if (!line.isBlank()) {
                    cap.server(line.strip(), "all");
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        int count = Integer.parseInt(String.valueOf(cap.fetch("bench_commands", 20)));

        boolean each = Boolean.parseBoolean(String.valueOf(cap.fetch("bench_each", false)));

        cap.desc("20 sequential `true` on every host");
        cap.task("seq20", ctx -> {
            if (each) {
                ctx.eachServer(c -> {
                    for (int i = 0; i < count; i++) {
                        c.run("true");
                    }
                });
                return;
            }
            for (int i = 0; i < count; i++) {
                ctx.run("true");
            }
        });
    }
}
