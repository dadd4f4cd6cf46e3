package dev.capstan.testkit.fleet.sh;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The shell contract on the in-memory file system, plus what only a live shell session shows. */
class MemoryShellTest extends ShellContractTest {

    @Override
    protected HostFs newFs() {
        return new MemoryFs();
    }

    @Test
    void interactiveShellRunsEachCommandAsItCompletesAndKeepsState() throws IOException {
        String input = "cd /tmp\nx=5\nif [ $x -gt 1 ]\nthen echo big\nfi\necho \"$x $(pwd)\"\nexit 7\necho never\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Shell shell = new Shell(new Shell.Host("h", fs, 0), Map.of("HOME", "/home/deploy"));
        int status = shell.interact(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), out,
                new ByteArrayOutputStream());
        assertThat(status).isEqualTo(7);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("big\n5 /tmp\n");
    }

    @Test
    void commandsInAnInteractiveShellReadTheRestOfItsInput() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Shell shell = new Shell(new Shell.Host("h", fs, 0), Map.of("HOME", "/"));
        shell.interact(new ByteArrayInputStream("read line\nsecond line\necho \"got $line\"\n".getBytes(
                StandardCharsets.UTF_8)), out, new ByteArrayOutputStream());
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("got second line\n");
    }

    @Test
    void everyAdvertisedCommandIsKnown() {
        assertThat(Shell.commands()).contains("true", "false", "exit", "echo", "printf", "sleep", "cat", "mkdir", "ln",
                "mv", "rm", "test", "[", "readlink", "ls", "tar", "touch", "cd", "command");
    }
}
