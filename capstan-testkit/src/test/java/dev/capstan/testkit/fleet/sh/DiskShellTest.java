package dev.capstan.testkit.fleet.sh;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shell contract on a real directory standing for the host's root. */
class DiskShellTest extends ShellContractTest {

    @TempDir
    Path root;

    @Override
    protected HostFs newFs() {
        return new DiskFs(root);
    }

    @Test
    void absoluteLinksResolveInsideTheRootForTheOperatingSystemToo() throws IOException {
        out("mkdir -p /srv/r1 && echo one > /srv/r1/f && ln -s /srv/r1 /srv/current");
        Path real = ((DiskFs) fs).realPath("/srv/current/f");
        assertThat(Files.readString(real)).isEqualTo("one\n"); // what SFTP sees through the link
        assertThat(out("readlink /srv/current")).isEqualTo("/srv/r1\n");
        assertThat(out("cd / && cd .. && pwd && ls /../srv")).isEqualTo("/\ncurrent\nr1\n");
    }
}
