// bench: fanout — one `true` on every host at once (one exec channel per host, all in parallel).
//   capstan -f bench/recipes/Fanout.java -S bench_hosts=HOSTS_FILE -s ssh_known_hosts=... -s ssh_identity=... fanout
// HOSTS_FILE: one user@host:port per line. Task `noop` runs nothing remote: JVM start + recipe load only.
import dev.capstan.*;
import java.nio.file.Files;
import java.nio.file.Path;

public class Fanout implements Recipe {
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

        cap.desc("One `true` on every host at once");
        cap.task("fanout", ctx -> ctx.run("true"));

        cap.desc("Nothing remote: start-up and recipe load only");
        cap.task("noop", ctx -> { });
    }
}
