package dev.capstan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code capstan demo}: the whole story on four sandbox hosts, exit 0, nothing left behind. */
class DemoTest {

    @Test
    void theDemoDeploysRollsBackAndLeavesNothingBehind(@TempDir Path dir) throws Exception {
        // its own temporary directory: what other runs on this machine leave in /tmp, or take away, is theirs
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        try (CapstanProcess run = CapstanProcess.start(dir, List.of("-Djava.io.tmpdir=" + tmp), List.of("demo"))) {
            assertThat(run.exitWithin(180)).as(run.stderr()).isZero();
            assertThat(run.stdout()).contains(
                    "capstan demo: 4 sandbox SSH hosts on 127.0.0.1",
                    "== 5. deploy release 3, which fails its smoke test on jobs2",
                    "smoke test FAILED",
                    "-> failed as intended and was rolled back on all four hosts",
                    "current: ",
                    "(rolled back)",
                    "capstan demo: done");
        }
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString())).as("left in the temporary directory").isEmpty();
        }
    }
}
