// TestkitFleet — starts N embedded SSH hosts of capstan-testkit (dev.capstan.testkit.SshTestFleet: Apache MINA
// servers on 127.0.0.1, real /bin/sh commands, SFTP) for the benchmarks, and keeps them up until the process is
// terminated (SIGTERM).
//
//   java -cp <capstan-testkit jar + its dependencies> bench/fleet/TestkitFleet.java --hosts 8 --dir DIR
//
// Writes into DIR: hosts (user@127.0.0.1:port, one per line), known_hosts, id_ed25519 (mode 600, the
// key every host authorizes), then prints "READY <n>" on stdout.

import dev.capstan.testkit.SshTestFleet;
import dev.capstan.testkit.SshTestHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CountDownLatch;

public final class TestkitFleet {
    public static void main(String[] args) throws Exception {
        int count = 8;
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--hosts" -> count = Integer.parseInt(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                default -> {
                    System.err.println("usage: TestkitFleet --hosts N --dir DIR");
                    System.exit(2);
                }
            }
        }
        if (dir == null) {
            System.err.println("usage: TestkitFleet --hosts N --dir DIR");
            System.exit(2);
        }
        Files.createDirectories(dir);
        SshTestFleet fleet = SshTestFleet.start(count);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            fleet.close();
            stop.countDown();
        }));
        Files.write(dir.resolve("hosts"), fleet.hosts().stream().map(SshTestHost::spec).toList());
        Files.copy(fleet.knownHostsFile(), dir.resolve("known_hosts"), StandardCopyOption.REPLACE_EXISTING);
        Path key = dir.resolve("id_ed25519");
        Files.deleteIfExists(key);
        Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(key, Files.readAllBytes(fleet.identityFile()));
        System.out.println("READY " + count);
        System.out.flush();
        // until SIGTERM / SIGINT (the shutdown hook closes the fleet)
        stop.await();
    }
}
