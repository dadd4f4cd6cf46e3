package dev.capstan.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Processes that tests start on this machine: the pid a command wrote down, and waiting for a process to end. */
public final class LocalProcesses {
    private LocalProcesses() {
    }

    /** The pid a command wrote to {@code file} (ending in a newline), waiting for it at most 10 s. */
    public static long pid(Path file) throws Exception {
        for (int i = 0; i < 500 && (!Files.exists(file) || !Files.readString(file).endsWith("\n")); i++) {
            Thread.sleep(20);
        }
        assertThat(file).as("the pid file the command writes").exists();
        return Long.parseLong(Files.readString(file).strip());
    }

    /** Waits at most 10 s for a process to end: gone from the process table, or a zombie that nobody reaped yet. */
    public static void awaitEnded(long pid) throws Exception {
        for (int i = 0; i < 500 && !ended(pid); i++) {
            Thread.sleep(20);
        }
        assertThat(ended(pid)).as("process %d has ended", pid).isTrue();
    }

    private static boolean ended(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException e) {
            return true;
        }
    }
}
