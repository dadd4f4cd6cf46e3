package dev.capstan.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * capstan as a separate process (for signals: Ctrl-C, SIGKILL), with its output in files, never in a
 * pipe that could fill up and stall it.
 */
record CapstanProcess(Process process, Path out, Path err) {

    static CapstanProcess start(Path dir, Path recipe, List<String> arguments) throws IOException {
        List<String> all = new ArrayList<>(List.of("-f", recipe.toString(), "--log", "none"));
        all.addAll(arguments);
        return start(dir, List.of(), all);
    }

    /** capstan with these JVM options ({@code -Djava.io.tmpdir=...}) and command-line arguments. */
    static CapstanProcess start(Path dir, List<String> jvmOptions, List<String> arguments) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        // Through env --default-signal: a build started in the background of a non-interactive shell (nohup,
        // `cmd &` in a CI script) ignores SIGINT (and SIGHUP), every child inherits that, and a JVM that starts with
        // a signal ignored leaves it ignored, so capstan would never see the test's Ctrl-C. A terminal's capstan has it.
        List<String> command = new ArrayList<>(List.of("env", "--default-signal=INT,HUP", java));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.capstan.cli.Main"));
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("XDG_CACHE_HOME", dir.resolve("cache").toString());
        builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Path out = Files.createTempFile(dir, "capstan-", ".out");
        Path err = Files.createTempFile(dir, "capstan-", ".err");
        builder.redirectOutput(out.toFile());
        builder.redirectError(err.toFile());
        return new CapstanProcess(builder.start(), out, err);
    }

    String stdout() throws IOException {
        return Files.readString(out);
    }

    String stderr() throws IOException {
        return Files.readString(err);
    }
}
