package dev.capstan.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * capstan as a separate process (for signals: Ctrl-C, SIGKILL), with its output in files, never in a
 * pipe that could fill up and stall it. Closing it kills what is left of it (a test that failed half-way),
 * with the processes it started.
 */
record CapstanProcess(Process process, Path out, Path err) implements AutoCloseable {

    static CapstanProcess start(Path dir, Path recipe, List<String> arguments) throws IOException {
        List<String> all = new ArrayList<>(List.of("-f", recipe.toString(), "--log", "none"));
        all.addAll(arguments);
        return start(dir, List.of(), all);
    }

    /** capstan, run in {@code dir}, with these JVM options ({@code -Djava.io.tmpdir=...}) and command-line arguments. */
    static CapstanProcess start(Path dir, List<String> jvmOptions, List<String> arguments) throws IOException {
        return start(dir, List.of(), jvmOptions, arguments);
    }

    /** The same, run through {@code wrapper} (such as {@code unshare -n}, another network namespace). */
    static CapstanProcess start(Path dir, List<String> wrapper, List<String> jvmOptions, List<String> arguments)
            throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        // Through env --default-signal: a build started in the background of a non-interactive shell (nohup,
        // `cmd &` in a CI script) ignores SIGINT (and SIGHUP), every child inherits that, and a JVM that starts with
        // a signal ignored leaves it ignored, so capstan would never see the test's Ctrl-C. A terminal's capstan has it.
        List<String> command = new ArrayList<>(wrapper);
        command.addAll(List.of("env", "--default-signal=INT,HUP", java));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.capstan.cli.Main"));
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        builder.environment().put("XDG_CACHE_HOME", dir.resolve("cache").toString());
        // where ssh_keep_connections puts its keepers' sockets
        builder.environment().put("XDG_RUNTIME_DIR", dir.toString());
        builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Path out = Files.createTempFile(dir, "capstan-", ".out");
        Path err = Files.createTempFile(dir, "capstan-", ".err");
        builder.redirectOutput(out.toFile());
        builder.redirectError(err.toFile());
        return new CapstanProcess(builder.start(), out, err);
    }

    /** The exit status, waiting at most {@code seconds} for it; a capstan still running then fails the test. */
    int exitWithin(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError("capstan still running after " + seconds + " s: " + process.info().commandLine().orElse(""));
        }
        return process.exitValue();
    }

    /** Kills capstan and every process it started that is still running, and waits (at most 10 s) for capstan to end. */
    @Override
    public void close() throws InterruptedException {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        process.waitFor(10, TimeUnit.SECONDS);
    }

    String stdout() throws IOException {
        return Files.readString(out);
    }

    String stderr() throws IOException {
        return Files.readString(err);
    }
}
