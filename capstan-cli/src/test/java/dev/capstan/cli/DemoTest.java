package dev.capstan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code capstan demo}: the whole story on four sandbox hosts, exit 0, nothing left behind. */
class DemoTest {

    @Test
    void theDemoDeploysRollsBackAndLeavesNothingBehind(@TempDir Path cache) throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        List<String> before = leftovers(tmp);
        CliRun run = CliRun.of(cache, "demo");
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out()).contains(
                "capstan demo: 4 sandbox SSH hosts on 127.0.0.1",
                "== 5. deploy release 3, which fails its smoke test on jobs2",
                "smoke test FAILED",
                "-> failed as intended and was rolled back on all four hosts",
                "current: ",
                "(rolled back)",
                "capstan demo: done");
        assertThat(leftovers(tmp)).isEqualTo(before);
    }

    private static List<String> leftovers(Path tmp) throws IOException {
        try (Stream<Path> list = Files.list(tmp)) {
            return list.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("capstan-demo-") || n.startsWith("capstan-testkit-host-") || n.startsWith("shop-release"))
                    .sorted().toList();
        }
    }
}
