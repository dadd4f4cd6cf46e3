package dev.capstan.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** One in-process run of the capstan command line, with its exit status and what it printed. */
record CliRun(int status, String out, String err) {

    /**
     * Runs {@code args} with the recipe cache under {@code cache} and extra environment variables; without
     * a {@code --log} of its own, no log file is written.
     */
    static CliRun of(Path cache, Map<String, String> env, String... args) {
        if (!java.util.Arrays.asList(args).contains("--log")) {
            String[] quiet = new String[args.length + 2];
            quiet[0] = "--log";
            quiet[1] = "none";
            System.arraycopy(args, 0, quiet, 2, args.length);
            args = quiet;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, String> environment = new HashMap<>(env);
        environment.put("XDG_CACHE_HOME", cache.toString());
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = Main.run(args, o, e, environment);
        }
        return new CliRun(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static CliRun of(Path cache, String... args) {
        return of(cache, Map.of(), args);
    }
}
