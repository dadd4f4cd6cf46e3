// bench: deploy — the built-in deploy recipe, copy strategy, one artifact (50 MB of random bytes in the
// benchmark) uploaded once per host to every host at once, then the atomic switch and cleanup.
//   capstan -f bench/recipes/Deploy.java -S bench_hosts=HOSTS_FILE -S bench_artifact=FILE \
//           -S bench_deploy_root=DIR -s ssh_known_hosts=... -s ssh_identity=... deploy:setup
//   (same) deploy
// Every server gets its own deploy_to, DIR/<host>_<port>, because all benchmark hosts share one disk.
import dev.capstan.*;
import java.nio.file.Files;
import java.nio.file.Path;

public class Deploy implements Recipe {
    @Override
    public void define(Config cap) {
        cap.load("deploy");
        cap.set("application", "bench");
        cap.set("strategy", "copy");
        cap.set("repository", cap.fetch("bench_artifact").toString());
        cap.set("keep_releases", 2);
        String root = cap.fetch("bench_deploy_root").toString();
        String hostsFile = cap.fetch("bench_hosts");
        try {
            for (String line : Files.readAllLines(Path.of(hostsFile))) {
                if (line.isBlank()) {
                    continue;
                }
                String spec = line.strip();
                String hostPort = spec.substring(spec.indexOf('@') + 1).replace(':', '_');
                cap.server(spec, "app").set("deploy_to", root + "/" + hostPort);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
